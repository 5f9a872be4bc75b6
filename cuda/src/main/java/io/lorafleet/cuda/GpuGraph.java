package io.lorafleet.cuda;

/**
 * Device work captured once and launched again as a whole ({@link Gpu#beginCapture}): every kernel launch
 * and device-side copy with the arguments it was captured with, so the buffers it names must stay where
 * they are and be updated in place between launches. {@code handle} is the implementation's own (an
 * instantiated CUgraphExec for JCuda); {@code operations} counts what it holds.
 */
record GpuGraph(Object handle, int operations) {}
