package io.lorafleet.cuda;

/** A point in a stream's work; {@code handle} is the implementation's own (a CUevent for JCuda). */
record GpuEvent(Object handle) {}
