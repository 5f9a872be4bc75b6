package io.lorafleet.cuda;

/** A loaded kernel; {@code handle} is the implementation's own (a CUfunction for JCuda). */
public record GpuKernel(String name, Object handle) {}
