package io.lorafleet.tools.simulation;

/**
 * One time window of a policy's run (the plot's points).
 *
 * @param startSeconds    window start
 * @param warmup          true while the window lies in the warm-up (not measured)
 * @param hitRate         fraction of the requests admitted to a node in the window whose adapter was on its
 *                        device
 * @param maxMeanLoad     busiest node's routed requests over the mean of all nodes, in the window
 * @param servedPerSecond requests finished per second
 * @param droppedPerSecond requests refused or timed out per second
 */
public record WindowStats(double startSeconds, boolean warmup, double hitRate, double maxMeanLoad,
    double servedPerSecond, double droppedPerSecond) {}
