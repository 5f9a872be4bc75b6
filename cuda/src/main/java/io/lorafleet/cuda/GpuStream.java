package io.lorafleet.cuda;

/** An ordered queue of device work; {@code handle} is the implementation's own (a CUstream for JCuda). */
record GpuStream(String name, Object handle) {}
