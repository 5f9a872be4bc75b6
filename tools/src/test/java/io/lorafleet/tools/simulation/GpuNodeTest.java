package io.lorafleet.tools.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The node model's arithmetic on hand-made requests: transfers, step times, batch changes. */
class GpuNodeTest {
  private final GpuNodeModel model = GpuNodeModel.defaults();
  private final AdapterPopulation catalog = AdapterPopulation.create(10, 1.1, 1);

  /** Runs the requests on one node; returns each request's finish time. */
  private double[] run(double[] time, int[] adapter, int[] steps) {
    RequestTrace trace = RequestTrace.of(time, adapter, steps, new int[time.length]);
    EventQueue events = new EventQueue();
    PolicyMetrics metrics = new PolicyMetrics(trace, 1, 0, 100, 10);
    double[] done = new double[time.length];
    GpuNode node = new GpuNode(0, "node-0", model, events, trace, catalog, metrics, new Object[time.length]);
    int next = 0;
    long served = 0;
    while (next < time.length || metrics.inSystem() > 0) {
      if (!events.isEmpty() && (next == time.length || events.peekTime() <= time[next])) {
        long e = events.pop();
        double now = events.lastTime();
        long before = servedCount(metrics);
        switch (EventQueue.kind(e)) {
          case EventQueue.COMPLETION -> node.complete(EventQueue.arg(e), now);
          case EventQueue.LOAD_DONE -> node.loadDone(EventQueue.arg(e), now);
          default -> throw new AssertionError();
        }
        for (long k = before; k < servedCount(metrics); k++) {
          done[(int) served++] = now;
        }
      } else {
        metrics.arrived(next);
        node.arrive(next, time[next]);
        next++;
      }
    }
    return done;
  }

  private static long servedCount(PolicyMetrics m) {
    return m.report("x", java.util.Map.of()).accounting().served();
  }

  private double load(int adapter) {
    long b = catalog.bytes(adapter);
    return b / model.diskBytesPerSecond() + b / model.hostToDeviceBytesPerSecond();
  }

  @Test
  void aLoneRequestWaitsForItsAdapterThenTakesItsStepsAtBatchOne() {
    double[] done = run(new double[] {1.0}, new int[] {3}, new int[] {100});
    assertEquals(1.0 + load(3) + 100 * model.stepSeconds(1, 1), done[0], 1e-9);
  }

  @Test
  void theSecondRequestSlowsTheFirstWhileTheyShareTheBatch() {
    // both adapters loaded in turn on the node's one transfer channel; then a batch of two
    double t0 = 0;
    double a = load(1);
    double b = a + load(2);
    double[] done = run(new double[] {t0, t0}, new int[] {1, 2}, new int[] {50, 80});
    // request 0 runs alone from a to b, then with request 1 (two adapters) until it finishes
    double alone = (b - a) / model.stepSeconds(1, 1);
    double shared = model.stepSeconds(2, 2);
    double firstDone = b + (50 - alone) * shared;
    assertEquals(firstDone, done[0], 1e-9);
    double secondDone = firstDone + (80 - (50 - alone)) * model.stepSeconds(1, 1);
    assertEquals(secondDone, done[1], 1e-9);
  }
}
