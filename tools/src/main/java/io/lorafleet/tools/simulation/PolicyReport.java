package io.lorafleet.tools.simulation;

import java.util.List;
import java.util.Map;

/**
 * What one policy did with the trace. Counts cover the requests that arrived after the warm-up (measured),
 * except {@code accounting}, which covers every request of the run.
 *
 * @param policy                  the policy's name
 * @param requests                measured requests
 * @param served                  of those, finished
 * @param rejected                refused: the chosen node's queue was full (or no node was chosen)
 * @param timedOut                waited longer than the node model's timeout and were dropped
 * @param throughputPerSecond     served requests per second of measured time
 * @param hitRate                 fraction of the admitted requests whose adapter was already on the serving
 *                                node's device (loaded, not loading)
 * @param maxMeanLoad             busiest node's routed requests over the mean per node, whole measured run
 * @param worstWindowMaxMeanLoad  the same over each metrics window, the worst window after the warm-up
 * @param maxMeanServed           busiest node's served requests over the mean per node
 * @param transferBytes           adapter bytes moved to devices
 * @param deviceLoads             adapter transfers to devices
 * @param queueDelayP50Ms         median time from arrival to admission into a batch (adapter load included)
 * @param queueDelayP99Ms         99th percentile of the same
 * @param queueDelayMeanMs        mean of the same
 * @param queueDelayMaxMs         largest of the same
 * @param extras                  policy-specific figures (replicas, spills...)
 * @param accounting              every request of the run: arrived = served + rejected + timed out
 * @param routedPerNode           measured requests routed to each node
 * @param series                  per-window figures over the whole run
 */
public record PolicyReport(String policy, long requests, long served, long rejected, long timedOut,
    double throughputPerSecond, double hitRate, double maxMeanLoad, double worstWindowMaxMeanLoad,
    double maxMeanServed, long transferBytes, long deviceLoads, double queueDelayP50Ms, double queueDelayP99Ms,
    double queueDelayMeanMs, double queueDelayMaxMs, Map<String, Object> extras, Accounting accounting,
    long[] routedPerNode, List<WindowStats> series) {

  /**
   * Every request of the run (warm-up included) and what became of it; after the drain nothing is left.
   *
   * @param unfinished requests still queued or running when the simulation stopped (0 after a full drain)
   */
  public record Accounting(long arrived, long served, long rejected, long timedOut, long unfinished) {
    public boolean balanced() {
      return arrived == served + rejected + timedOut + unfinished;
    }
  }

  /** Requests refused or timed out. */
  public long dropped() {
    return rejected + timedOut;
  }
}
