package io.lorafleet.tools.simulation;

/**
 * A burst: from {@code startSeconds} to {@code endSeconds} one adapter gets {@code extraRate} more requests
 * per second ({@code factor - 1} times its base rate).
 *
 * @param adapter the adapter
 * @param rank    its popularity rank
 * @param factor  its rate multiplier during the burst
 */
public record Burst(double startSeconds, double endSeconds, int adapter, int rank, double factor, double extraRate) {}
