package io.lorafleet.tools.gpubench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.tools.gpubench.SystemResult.LatencyFigure;
import io.lorafleet.tools.gpubench.SystemResult.StepFigure;
import io.lorafleet.tools.report.TextTable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The run's figures side by side, against the benchmark's targets: (a) p50 latency of a 70 + 10 token request
 * over 100 adapters at most 30 ms; (b) continuous-batching throughput at least 10x the peer's; (c) batch-1
 * decode step at most 1.3x the floor (weights read once at the measured bandwidth); (d) p50 latency over
 * the most adapters at most 1.2x that over one; (e) adapter load time, reported. Any side may be missing (a
 * part that failed or ran out of time): its cells say so.
 */
final class Comparison {
  /** (a) p50 latency over the headline adapter count, at most (ms). */
  static final double LATENCY_P50_MS_MAX = 30;
  /** (b) continuous-batching throughput over the peer's, at least. */
  static final double THROUGHPUT_OVER_PEER_MIN = 10;
  /** (c) batch-1 decode step over the floor of reading the weights once, at most. */
  static final double BATCH1_STEP_OVER_FLOOR_MAX = 1.3;
  /** (d) p50 latency over the most adapters over that over the fewest, at most. */
  static final double LATENCY_GROWTH_MAX = 1.2;

  static final String ENGINE = "lorafleet_engine";
  static final String HTTP = "lorafleet_http";
  static final String PEER = "peft";
  private static final String MISSING = "-";

  private final Map<String, SystemResult> systems = new LinkedHashMap<>();
  private final Map<String, String> environment;

  Comparison(SystemResult engine, SystemResult http, SystemResult peer, Map<String, String> environment) {
    systems.put(ENGINE, engine);
    systems.put(HTTP, http);
    systems.put(PEER, peer);
    this.environment = Map.copyOf(environment);
  }

  private SystemResult sys(String key) {
    return systems.get(key);
  }

  /** The headline adapter count of figure (a): the workload's, from whichever side has one. */
  private int headlineAdapters() {
    return systems.values().stream().filter(s -> s != null && s.workload() != null)
        .map(s -> s.workload().latencyAdapters()).findFirst().orElse(100);
  }

  private LatencyFigure latency(String key, int adapters) {
    SystemResult s = sys(key);
    return s == null ? null : s.latencyAt(adapters);
  }

  /** The sweep's end points common to our side: fewest and most adapters. */
  private int[] sweepEnds(String key) {
    SystemResult s = sys(key);
    if (s == null || s.latency().size() < 2) {
      return null;
    }
    List<LatencyFigure> l = s.latency().stream().sorted(Comparator.comparingInt(LatencyFigure::adapters)).toList();
    return new int[] {l.getFirst().adapters(), l.getLast().adapters()};
  }

  /** p50 latency over the most adapters of the sweep over that over the fewest (figure d). */
  private Double latencyGrowth(String key) {
    int[] ends = sweepEnds(key);
    if (ends == null) {
      return null;
    }
    return latency(key, ends[1]).p50Ms() / latency(key, ends[0]).p50Ms();
  }

  private Double throughput(String key) {
    SystemResult s = sys(key);
    return s == null || s.throughput() == null ? null : s.throughput().tokensPerS();
  }

  private Double overPeer(String key) {
    Double ours = throughput(key);
    Double peer = throughput(PEER);
    return ours == null || peer == null || peer <= 0 ? null : ours / peer;
  }

  private StepFigure step(String key, int batch) {
    SystemResult s = sys(key);
    if (s == null || s.decode() == null) {
      return null;
    }
    return s.decode().steps().stream().filter(f -> f.batch() == batch).findFirst().orElse(null);
  }

  /** The request shape in words, from whichever side has a workload. */
  String requestShape() {
    return systems.values().stream().filter(s -> s != null && s.workload() != null).findFirst()
        .map(s -> s.workload().promptTokens() + "-token prompts and " + s.workload().newTokens() + " new tokens")
        .orElse("no requests");
  }

  private int batchN() {
    return systems.values().stream().filter(s -> s != null && s.workload() != null)
        .map(s -> s.workload().concurrency()).findFirst().orElse(64);
  }

  /** The batch-1 decode step over the floor, our step against our bandwidth probe. */
  private Double batch1StepOverFloor() {
    StepFigure b1 = step(ENGINE, 1);
    return b1 == null ? null : b1.overFloor();
  }

  private static String ms(Double v) {
    return v == null ? MISSING : num(v) + " ms";
  }

  static String num(double v) {
    if (!Double.isFinite(v)) {
      return String.valueOf(v);
    }
    double a = Math.abs(v);
    return String.format(Locale.ROOT, a >= 1000 ? "%.0f" : a >= 100 ? "%.1f" : a >= 10 ? "%.2f" : "%.3f", v);
  }

  private static String verdict(Double value, double limit, boolean atMost) {
    if (value == null) {
      return "not measured";
    }
    boolean met = atMost ? value <= limit : value >= limit;
    return (met ? "met" : "NOT met") + " (" + num(value) + ")";
  }

  private <T> String cell(String key, Function<SystemResult, T> f, Function<T, String> show) {
    SystemResult s = sys(key);
    if (s == null) {
      return MISSING;
    }
    T v = f.apply(s);
    return v == null ? MISSING : show.apply(v);
  }

  /** The table printed at the end of the run. */
  String table() {
    int a = headlineAdapters();
    int n = batchN();
    TextTable t = new TextTable("figure", "lorafleet engine", "lorafleet http", "peft", "target");
    Function<LatencyFigure, String> p50 = l -> num(l.p50Ms()) + " ms";
    Function<LatencyFigure, String> p99 = l -> num(l.p99Ms()) + " ms";
    t.add("(a) p50 latency, " + a + " adapters", cell(ENGINE, s -> s.latencyAt(a), p50),
        cell(HTTP, s -> s.latencyAt(a), p50), cell(PEER, s -> s.latencyAt(a), p50),
        "<= " + LatencyChart.label(LATENCY_P50_MS_MAX) + " ms: engine " + verdictShort(latency(ENGINE, a), LATENCY_P50_MS_MAX) + ", http "
            + verdictShort(latency(HTTP, a), LATENCY_P50_MS_MAX));
    t.add("(a) p99 latency, " + a + " adapters", cell(ENGINE, s -> s.latencyAt(a), p99),
        cell(HTTP, s -> s.latencyAt(a), p99), cell(PEER, s -> s.latencyAt(a), p99), "");
    Function<Double, String> tps = v -> num(v) + " tok/s";
    t.add("(b) throughput, " + n + " in flight", cell(ENGINE, s -> throughput(ENGINE), tps),
        cell(HTTP, s -> throughput(HTTP), tps), cell(PEER, s -> throughput(PEER), tps),
        ">= " + LatencyChart.label(THROUGHPUT_OVER_PEER_MIN) + "x peft: engine " + verdict(overPeer(ENGINE), THROUGHPUT_OVER_PEER_MIN, false) + ", http "
            + verdict(overPeer(HTTP), THROUGHPUT_OVER_PEER_MIN, false));
    Function<StepFigure, String> stepCell = f -> num(f.medianStepMs()) + " ms (" + num(f.overFloor()) + "x floor)";
    t.add("(c) decode step, batch 1", cell(ENGINE, s -> step(ENGINE, 1), stepCell), MISSING,
        cell(PEER, s -> step(PEER, 1), stepCell),
        "<= " + LatencyChart.label(BATCH1_STEP_OVER_FLOOR_MAX) + "x floor: " + verdict(batch1StepOverFloor(), BATCH1_STEP_OVER_FLOOR_MAX, true));
    t.add("(c) decode step, batch " + n, cell(ENGINE, s -> step(ENGINE, n), stepCell), MISSING,
        cell(PEER, s -> step(PEER, n), stepCell), "");
    t.add("(c) floor: weights / bandwidth", cell(ENGINE, s -> s.decode(), d -> num(d.floorMs()) + " ms"), MISSING,
        cell(PEER, s -> s.decode(), d -> num(d.floorMs()) + " ms"), "");
    t.add("    bandwidth (copy, read+write)", cell(ENGINE, s -> s.decode(), d -> num(d.bandwidth().gbPerS()) + " GB/s"),
        MISSING, cell(PEER, s -> s.decode(), d -> num(d.bandwidth().gbPerS()) + " GB/s"), "");
    int[] ends = sweepEnds(ENGINE);
    int lo = ends == null ? 1 : ends[0];
    int hi = ends == null ? 1000 : ends[1];
    t.add("(d) p50 latency, " + lo + " adapter" + (lo == 1 ? "" : "s"), cell(ENGINE, s -> s.latencyAt(lo), p50),
        cell(HTTP, s -> s.latencyAt(lo), p50), cell(PEER, s -> s.latencyAt(lo), p50), "");
    t.add("(d) p50 latency, " + hi + " adapters", cell(ENGINE, s -> s.latencyAt(hi), p50),
        cell(HTTP, s -> s.latencyAt(hi), p50), cell(PEER, s -> s.latencyAt(hi), p50), "");
    t.add("(d) ratio " + hi + " / " + lo, cell(ENGINE, s -> latencyGrowth(ENGINE), v -> num(v) + "x"),
        cell(HTTP, s -> latencyGrowth(HTTP), v -> num(v) + "x"), cell(PEER, s -> latencyGrowth(PEER), v -> num(v) + "x"),
        "<= " + LatencyChart.label(LATENCY_GROWTH_MAX) + "x: engine " + verdict(latencyGrowth(ENGINE), LATENCY_GROWTH_MAX, true) + ", http "
            + verdict(latencyGrowth(HTTP), LATENCY_GROWTH_MAX, true));
    t.add("(e) adapter load, disk to device", cell(ENGINE, s -> s.adapterLoad(),
            l -> num(l.totalP50Ms()) + " ms p50"), MISSING,
        cell(PEER, s -> s.adapterLoad(), l -> num(l.totalP50Ms()) + " ms p50"), "");
    t.add("(e) all adapters loaded", cell(ENGINE, s -> s.adapterLoad(),
            l -> l.loaded() + " in " + num(l.allSeconds()) + " s"), MISSING,
        cell(PEER, s -> s.adapterLoad(), l -> l.loaded() + " in " + num(l.allSeconds()) + " s"), "");
    return t.render();
  }

  private static String verdictShort(LatencyFigure l, double limit) {
    return l == null ? "not measured" : l.p50Ms() <= limit ? "met" : "NOT met";
  }

  /**
   * The engine's per-kernel profiles as text (most device time first, at most {@code top} operations each),
   * or an empty string when the run has none.
   */
  String profiles(int top) {
    SystemResult engine = sys(ENGINE);
    if (engine == null || engine.profile().isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    engine.profile().forEach((name, p) -> sb.append(profile(name, p, top)));
    return sb.toString();
  }

  /**
   * One per-kernel profile (as {@link EngineBench#profileJson} writes it) as text: a heading with the
   * per-step times and the table of operations, most device time first, at most {@code top} of them.
   */
  static String profile(String name, JsonNode p, int top) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%nwhere decode time goes, %s (CUDA events per operation, %d steps): host "
            + "%s ms/step, device busy %s ms/step, device idle %s ms/step, %d launches/step%n", name,
        p.path("steps").asInt(), num(p.path("host_ms_per_step").asDouble()),
        num(p.path("device_busy_ms_per_step").asDouble()), num(p.path("device_idle_ms_per_step").asDouble()),
        p.path("launches_per_step").asLong()));
    TextTable t = new TextTable("operation", "calls/step", "ms/step", "mean us", "share").numbers();
    int shown = 0;
    double rest = 0;
    for (var op : p.path("operations")) {
      if (shown++ < top) {
        t.add(op.path("name").asText(), num(op.path("calls_per_step").asDouble()),
            num(op.path("ms_per_step").asDouble()), num(op.path("mean_us").asDouble()),
            String.format(Locale.ROOT, "%.1f%%", 100 * op.path("share").asDouble()));
      } else {
        rest += op.path("share").asDouble();
      }
    }
    if (rest > 0) {
      t.add("(the others)", "", "", "", String.format(Locale.ROOT, "%.1f%%", 100 * rest));
    }
    sb.append(t.render());
    return sb.toString();
  }

  /** Notes of every side, prefixed with the side. */
  List<String> notes() {
    List<String> out = new ArrayList<>();
    systems.forEach((key, s) -> {
      if (s == null) {
        out.add(key + ": no figures (the part did not run or failed before its first figure; see its log)");
      } else {
        s.notes().forEach(note -> out.add(key + ": " + note));
      }
    });
    return out;
  }

  /** The one JSON document of the run: environment, targets, the headline figures and every side's figures. */
  ObjectNode json(String timestamp) {
    ObjectNode root = SystemResult.JSON.createObjectNode();
    root.put("benchmark", "LoraFleet vs HF transformers + PEFT");
    root.put("timestamp", timestamp);
    ObjectNode env = root.putObject("environment");
    environment.forEach(env::put);
    systems.forEach((key, s) -> {
      if (s != null) {
        s.environment().forEach((k, v) -> env.put(key + "." + k, v));
      }
    });
    ObjectNode targets = root.putObject("targets");
    targets.put("a_p50_ms_max", LATENCY_P50_MS_MAX);
    targets.put("b_throughput_over_peft_min", THROUGHPUT_OVER_PEER_MIN);
    targets.put("c_batch1_over_floor_max", BATCH1_STEP_OVER_FLOOR_MAX);
    targets.put("d_most_over_one_adapter_max", LATENCY_GROWTH_MAX);

    ObjectNode f = root.putObject("figures");
    int a = headlineAdapters();
    ObjectNode fa = f.putObject("a_latency");
    fa.put("adapters", a);
    for (String key : systems.keySet()) {
      LatencyFigure l = latency(key, a);
      if (l != null) {
        fa.putObject(key).put("p50_ms", l.p50Ms()).put("p99_ms", l.p99Ms()).put("requests", l.requests());
      } else {
        fa.putNull(key);
      }
    }
    putMet(fa.putObject("target_met"), ENGINE, latency(ENGINE, a) == null ? null : latency(ENGINE, a).p50Ms(),
        LATENCY_P50_MS_MAX, true);
    putMet((ObjectNode) fa.get("target_met"), HTTP, latency(HTTP, a) == null ? null : latency(HTTP, a).p50Ms(),
        LATENCY_P50_MS_MAX, true);

    ObjectNode fb = f.putObject("b_throughput_tokens_per_s");
    for (String key : systems.keySet()) {
      putNumber(fb, key, throughput(key));
    }
    putNumber(fb, "engine_over_peft", overPeer(ENGINE));
    putNumber(fb, "http_over_peft", overPeer(HTTP));
    ObjectNode bMet = fb.putObject("target_met");
    putMet(bMet, ENGINE, overPeer(ENGINE), THROUGHPUT_OVER_PEER_MIN, false);
    putMet(bMet, HTTP, overPeer(HTTP), THROUGHPUT_OVER_PEER_MIN, false);

    ObjectNode fc = f.putObject("c_decode");
    int n = batchN();
    for (String key : List.of(ENGINE, PEER)) {
      SystemResult s = sys(key);
      if (s == null || s.decode() == null) {
        fc.putNull(key);
        continue;
      }
      ObjectNode o = fc.putObject(key);
      o.put("floor_ms", s.decode().floorMs());
      o.put("bandwidth_gb_s", s.decode().bandwidth().gbPerS());
      o.put("bandwidth_method", s.decode().bandwidth().method());
      o.put("weight_bytes_per_step", s.decode().weightBytesPerStep());
      StepFigure b1 = step(key, 1);
      StepFigure bn = step(key, n);
      putNumber(o, "batch1_step_ms", b1 == null ? null : b1.medianStepMs());
      putNumber(o, "batch1_over_floor", b1 == null ? null : b1.overFloor());
      putNumber(o, "batch" + n + "_step_ms", bn == null ? null : bn.medianStepMs());
      putNumber(o, "batch" + n + "_over_floor", bn == null ? null : bn.overFloor());
    }
    SystemResult peer = sys(PEER);
    SystemResult engine = sys(ENGINE);
    if (peer != null && peer.decode() != null && engine != null && engine.decode() != null) {
      // Our step against the floor from the peer's bandwidth probe (torch copy) as well.
      StepFigure b1 = step(ENGINE, 1);
      double floorTorch = engine.decode().weightBytesPerStep() / (peer.decode().bandwidth().gbPerS() * 1e9) * 1e3;
      fc.put("engine_floor_ms_with_torch_bandwidth", floorTorch);
      putNumber(fc, "engine_batch1_over_torch_floor", b1 == null ? null : b1.medianStepMs() / floorTorch);
    }
    putMet(fc.putObject("target_met"), ENGINE, batch1StepOverFloor(), BATCH1_STEP_OVER_FLOOR_MAX, true);

    ObjectNode fd = f.putObject("d_latency_vs_adapters");
    for (String key : systems.keySet()) {
      int[] ends = sweepEnds(key);
      if (ends == null) {
        fd.putNull(key);
        continue;
      }
      ObjectNode o = fd.putObject(key);
      o.put("fewest_adapters", ends[0]);
      o.put("most_adapters", ends[1]);
      o.put("p50_ms_fewest", latency(key, ends[0]).p50Ms());
      o.put("p50_ms_most", latency(key, ends[1]).p50Ms());
      o.put("ratio", latencyGrowth(key));
    }
    ObjectNode dMet = fd.putObject("target_met");
    putMet(dMet, ENGINE, latencyGrowth(ENGINE), LATENCY_GROWTH_MAX, true);
    putMet(dMet, HTTP, latencyGrowth(HTTP), LATENCY_GROWTH_MAX, true);

    ObjectNode fe = f.putObject("e_adapter_load");
    for (String key : List.of(ENGINE, PEER)) {
      SystemResult s = sys(key);
      if (s == null || s.adapterLoad() == null) {
        fe.putNull(key);
      } else {
        fe.set(key, SystemResult.JSON.valueToTree(s.adapterLoad()));
      }
    }

    var notes = root.putArray("notes");
    notes().forEach(notes::add);
    ObjectNode all = root.putObject("systems");
    systems.forEach((key, s) -> {
      if (s == null) {
        all.putNull(key);
      } else {
        all.set(key, SystemResult.JSON.valueToTree(s));
      }
    });
    return root;
  }

  private static void putNumber(ObjectNode o, String key, Double v) {
    if (v == null || !Double.isFinite(v)) {
      o.putNull(key);
    } else {
      o.put(key, v);
    }
  }

  private static void putMet(ObjectNode o, String key, Double v, double limit, boolean atMost) {
    if (v == null || !Double.isFinite(v)) {
      o.putNull(key);
    } else {
      o.put(key, atMost ? v <= limit : v >= limit);
    }
  }

  /** The chart's lines: p50 latency per adapter count for every side that has a sweep. */
  LatencyChart chart(String subtitle) {
    List<LatencyChart.Series> series = new ArrayList<>();
    series.add(series("LoraFleet engine", 0x1f5fbf, sys(ENGINE)));
    series.add(series("LoraFleet HTTP", 0x2e9e44, sys(HTTP)));
    series.add(series("HF PEFT", 0xd9531e, sys(PEER)));
    return new LatencyChart("p50 latency vs number of adapters", subtitle, series);
  }

  private static LatencyChart.Series series(String name, int color, SystemResult s) {
    List<LatencyChart.Point> pts = new ArrayList<>();
    if (s != null) {
      for (LatencyFigure l : s.latency()) {
        pts.add(new LatencyChart.Point(l.adapters(), l.p50Ms()));
      }
    }
    return new LatencyChart.Series(name, color, pts);
  }
}
