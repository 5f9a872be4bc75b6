package io.lorafleet.tools.loadtest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.lorafleet.tools.client.MetricsScrape;
import io.lorafleet.tools.client.RequestOutcome;
import io.lorafleet.tools.stats.LatencyHistogram;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The result of one load test; written as JSON with these keys (snake_case):
 * <ul>
 *   <li>{@code config}: {@code url, api, stream, adapters, rate, duration_s, warmup_s, zipf, prompt_tokens,
 *       max_new_tokens, seed, concurrency_limit}</li>
 *   <li>{@code requests}: {@code sent} (arrivals in the measured window) {@code = ok + failed + not_started};
 *       {@code failed_by_status} (HTTP status or failure kind → count), {@code not_started_by_reason},
 *       {@code distinct_adapters} (adapters asked for)</li>
 *   <li>{@code elapsed_s}: from the start of the measured window to its end or the last response, whichever
 *       is later</li>
 *   <li>{@code throughput}: {@code offered_requests_per_s} (sent / duration), {@code requests_per_s} and
 *       {@code generated_tokens_per_s} (ok requests and their tokens / elapsed), {@code generated_tokens},
 *       {@code mean_prompt_tokens} (as the server counted them)</li>
 *   <li>{@code ttft_ms}, {@code e2e_ms}, {@code schedule_lag_ms}: {@code count, p50, p90, p99, max, mean} in
 *       milliseconds (null without samples), and {@code histogram} (the HdrHistogram in microseconds,
 *       compressed and Base64-encoded, so reports can be merged); latencies of ok requests from their
 *       scheduled arrival; the schedule lag is how late the generator handed requests to the HTTP client</li>
 *   <li>{@code cache}: {@code hit_rate} (of {@code hit_rate_tier}, the device tier: requests whose adapter
 *       was already in a backend slot), and {@code tiers}: {@code device, cpu, disk} → {@code hits, misses,
 *       hit_rate}, the deltas of the server's {@code lorafleet_adapter_cache_hits/misses} counters over the
 *       run (null where {@code /metrics} could not be read)</li>
 *   <li>{@code client}: the load generator's machine: {@code cores}, {@code load_average_start} and
 *       {@code load_average_end} (one-minute load average; a busy shared machine makes latencies noisy)</li>
 * </ul>
 */
public record LoadTestReport(Config config, Requests requests, double elapsedS, Throughput throughput, Latency ttftMs,
    Latency e2eMs, Latency scheduleLagMs, Cache cache, Client client) {

  private static final ObjectMapper JSON = JsonMapper.builder()
      .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(SerializationFeature.INDENT_OUTPUT)
      .build();

  /** The tier whose hit rate is the headline figure. */
  static final String HEADLINE_TIER = "device";
  static final List<String> TIERS = List.of("device", "cpu", "disk");

  public record Config(String url, String api, boolean stream, int adapters, double rate, double durationS,
      double warmupS, double zipf, int promptTokens, int maxNewTokens, long seed, int concurrencyLimit) {}

  public record Requests(long sent, long ok, long failed, long notStarted, Map<String, Long> failedByStatus,
      Map<String, Long> notStartedByReason, int distinctAdapters) {}

  public record Throughput(double offeredRequestsPerS, double requestsPerS, double generatedTokensPerS,
      long generatedTokens, double meanPromptTokens) {}

  public record Latency(long count, Double p50, Double p90, Double p99, Double max, Double mean, String histogram) {
    /** The summary of {@code h} (figures rounded to the microsecond), with {@code h} encoded in it. */
    static Latency of(LatencyHistogram h) {
      if (h.count() == 0) {
        return new Latency(0, null, null, null, null, null, null);
      }
      return new Latency(h.count(), round(h.p50Millis()), round(h.p90Millis()), round(h.p99Millis()),
          round(h.maxMillis()), round(h.meanMillis()), h.encode());
    }

    /** The distribution this summary carries (empty when it has none). */
    LatencyHistogram distribution() {
      return LatencyHistogram.decode(histogram);
    }
  }

  public record Cache(Double hitRate, String hitRateTier, Map<String, TierCounts> tiers) {}

  public record TierCounts(long hits, long misses, Double hitRate) {}

  public record Client(int cores, double loadAverageStart, double loadAverageEnd) {}

  /**
   * Builds the report from the outcomes of a run.
   *
   * @param windowStartNanos start of the measured window (end of the warmup)
   * @param windowEndNanos   end of the measured window (no arrival after it)
   * @param before           metrics scraped at the start of the window
   * @param after            metrics scraped after the last response
   * @param client           the load generator's machine
   */
  static LoadTestReport of(LoadTestSettings s, int adapters, List<RequestOutcome> outcomes, long windowStartNanos,
      long windowEndNanos, MetricsScrape before, MetricsScrape after, Client client) {
    long ok = 0;
    long failed = 0;
    long notStarted = 0;
    long tokens = 0;
    long promptTokens = 0;
    long lastEnd = windowEndNanos;
    Map<String, Long> failedBy = new TreeMap<>();
    Map<String, Long> notStartedBy = new TreeMap<>();
    Set<String> distinct = new HashSet<>();
    LatencyHistogram ttft = new LatencyHistogram();
    LatencyHistogram e2e = new LatencyHistogram();
    LatencyHistogram lag = new LatencyHistogram();
    for (RequestOutcome o : outcomes) {
      if (o.warmup()) {
        continue;
      }
      if (o.adapter() != null) {
        distinct.add(o.adapter());
      }
      if (o.sentNanos() != 0) {
        lag.recordNanos(o.sentNanos() - o.scheduledNanos());
      }
      lastEnd = Math.max(lastEnd, o.endNanos());
      switch (o.result()) {
        case OK -> {
          ok++;
          tokens += o.generatedTokens();
          promptTokens += o.promptTokens();
          e2e.recordNanos(o.endNanos() - o.scheduledNanos());
          if (o.firstTokenNanos() != 0) {
            ttft.recordNanos(o.firstTokenNanos() - o.scheduledNanos());
          }
        }
        case FAILED -> {
          failed++;
          failedBy.merge(o.reason(), 1L, Long::sum);
        }
        case NOT_STARTED -> {
          notStarted++;
          notStartedBy.merge(o.reason(), 1L, Long::sum);
        }
      }
    }
    double durationS = s.duration().toNanos() / 1e9;
    double elapsedS = (lastEnd - windowStartNanos) / 1e9;
    Config config = new Config(s.url().toString(), s.api().name().toLowerCase(Locale.ROOT), s.stream(),
        adapters, s.rate(), durationS, s.warmup().toNanos() / 1e9, s.zipf(), s.promptTokens(), s.maxNewTokens(),
        s.seed(), s.concurrencyLimit());
    long sent = ok + failed + notStarted;
    Requests requests = new Requests(sent, ok, failed, notStarted, failedBy, notStartedBy, distinct.size());
    Throughput throughput = new Throughput(round(sent / durationS), round(ok / elapsedS), round(tokens / elapsedS),
        tokens, ok == 0 ? 0 : round((double) promptTokens / ok));
    return new LoadTestReport(config, requests, round(elapsedS), throughput, Latency.of(ttft), Latency.of(e2e),
        Latency.of(lag), cache(before, after), client);
  }

  /** The report as indented JSON (keys as documented above). */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the report as JSON", e);
    }
  }

  /**
   * One report for several runs of the same configuration (slices of a rotation, say): counts, times and
   * cache counters summed, latency histograms merged, rates recomputed from the sums; {@code
   * distinct_adapters} is the largest of the parts, the load averages the highest.
   */
  static LoadTestReport merge(List<LoadTestReport> parts) {
    if (parts.size() == 1) {
      return parts.getFirst();
    }
    LoadTestReport first = parts.getFirst();
    double duration = 0;
    double warmup = 0;
    double elapsed = 0;
    long sent = 0;
    long ok = 0;
    long failed = 0;
    long notStarted = 0;
    long tokens = 0;
    double promptTokens = 0;
    int distinct = 0;
    Map<String, Long> failedBy = new TreeMap<>();
    Map<String, Long> notStartedBy = new TreeMap<>();
    LatencyHistogram ttft = new LatencyHistogram();
    LatencyHistogram e2e = new LatencyHistogram();
    LatencyHistogram lag = new LatencyHistogram();
    Map<String, long[]> tiers = new LinkedHashMap<>();
    boolean cacheKnown = true;
    double loadStart = 0;
    double loadEnd = 0;
    for (LoadTestReport r : parts) {
      duration += r.config().durationS();
      warmup += r.config().warmupS();
      elapsed += r.elapsedS();
      Requests q = r.requests();
      sent += q.sent();
      ok += q.ok();
      failed += q.failed();
      notStarted += q.notStarted();
      q.failedByStatus().forEach((k, v) -> failedBy.merge(k, v, Long::sum));
      q.notStartedByReason().forEach((k, v) -> notStartedBy.merge(k, v, Long::sum));
      distinct = Math.max(distinct, q.distinctAdapters());
      tokens += r.throughput().generatedTokens();
      promptTokens += r.throughput().meanPromptTokens() * q.ok();
      ttft.add(distribution(r.ttftMs()));
      e2e.add(distribution(r.e2eMs()));
      lag.add(distribution(r.scheduleLagMs()));
      cacheKnown &= !r.cache().tiers().isEmpty();
      r.cache().tiers().forEach((tier, c) -> {
        long[] sum = tiers.computeIfAbsent(tier, t -> new long[2]);
        sum[0] += c.hits();
        sum[1] += c.misses();
      });
      if (r.client() != null) {
        loadStart = Math.max(loadStart, r.client().loadAverageStart());
        loadEnd = Math.max(loadEnd, r.client().loadAverageEnd());
      }
    }
    Config c = first.config();
    Config config = new Config(c.url(), c.api(), c.stream(), c.adapters(), c.rate(), round(duration), round(warmup),
        c.zipf(), c.promptTokens(), c.maxNewTokens(), c.seed(), c.concurrencyLimit());
    Requests requests = new Requests(sent, ok, failed, notStarted, failedBy, notStartedBy, distinct);
    Throughput throughput = new Throughput(round(sent / duration), round(ok / elapsed), round(tokens / elapsed), tokens,
        ok == 0 ? 0 : round(promptTokens / ok));
    Map<String, TierCounts> counts = new LinkedHashMap<>();
    tiers.forEach((tier, hm) -> counts.put(tier, tierCounts(hm[0], hm[1])));
    Cache cache = cacheKnown && !counts.isEmpty()
        ? new Cache(counts.get(HEADLINE_TIER) == null ? null : counts.get(HEADLINE_TIER).hitRate(), HEADLINE_TIER, counts)
        : new Cache(null, HEADLINE_TIER, Map.of());
    Client client = first.client() == null ? null : new Client(first.client().cores(), loadStart, loadEnd);
    return new LoadTestReport(config, requests, round(elapsed), throughput, Latency.of(ttft), Latency.of(e2e),
        Latency.of(lag), cache, client);
  }

  /** Reads a report written by {@link #toJson()}. */
  public static LoadTestReport read(Path file) throws IOException {
    return JSON.readValue(file.toFile(), LoadTestReport.class);
  }

  private static Cache cache(MetricsScrape before, MetricsScrape after) {
    if (before.isEmpty() || after.isEmpty()) {
      return new Cache(null, HEADLINE_TIER, Map.of());
    }
    Map<String, TierCounts> tiers = new LinkedHashMap<>();
    for (String tier : TIERS) {
      long hits = delta(before, after, "lorafleet_adapter_cache_hits_total", tier);
      long misses = delta(before, after, "lorafleet_adapter_cache_misses_total", tier);
      tiers.put(tier, tierCounts(hits, misses));
    }
    return new Cache(tiers.get(HEADLINE_TIER).hitRate(), HEADLINE_TIER, tiers);
  }

  private static TierCounts tierCounts(long hits, long misses) {
    return new TierCounts(hits, misses, hits + misses == 0 ? null : round((double) hits / (hits + misses)));
  }

  private static long delta(MetricsScrape before, MetricsScrape after, String name, String tier) {
    double a = after.value(name, "tier", tier).orElse(0.0);
    double b = before.value(name, "tier", tier).orElse(0.0);
    return Math.max(0, Math.round(a - b));
  }

  private static LatencyHistogram distribution(Latency l) {
    return l == null ? new LatencyHistogram() : l.distribution();
  }

  private static double round(double v) {
    return Double.isFinite(v) ? Math.round(v * 1000.0) / 1000.0 : 0;
  }
}
