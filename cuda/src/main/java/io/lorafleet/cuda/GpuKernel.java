package io.lorafleet.cuda;

/** A loaded kernel; {@code handle} is the implementation's own (a CUfunction for JCuda). */
record GpuKernel(String name, Object handle) {}
