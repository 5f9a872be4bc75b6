package io.lorafleet.actors.metrics;

import io.lorafleet.runtime.engine.Engine;
import io.lorafleet.runtime.engine.EngineStats;
import io.lorafleet.runtime.engine.PriorityClass;
import io.lorafleet.runtime.engine.PriorityStats;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The node's metrics, in one registry of its own (so several nodes in one JVM do not mix). Metric objects
 * are thread-safe sinks; the engine's load is read through callbacks from its {@link EngineStats} snapshot.
 */
public final class ServerMetrics {
  private static final double[] LATENCY_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
      5, 10, 30, 60};

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter httpRequests;
  private final Histogram timeToFirstToken;
  private final Histogram interTokenLatency;
  private final Histogram endToEnd;
  private final Counter finished;
  private final Counter cacheHits;
  private final Counter cacheMisses;
  private final Counter cacheLoads;
  private final Counter cacheEvictions;
  private final Gauge cacheBytes;
  private final Gauge cacheEntries;
  private final Counter routed;
  private final Counter retries;
  private final Counter supervisorDecisions;
  private final Gauge clusterNodes;
  private final Histogram queueTime;
  private final Counter tenantRequests;
  private final Counter tenantThrottled;
  private final Counter tenantTokens;
  private final Histogram tenantQueueTime;
  private final Counter unauthorized;

  public ServerMetrics() {
    httpRequests = Counter.builder().name("lorafleet_http_requests").help("HTTP requests by route and status")
        .labelNames("route", "status").register(registry);
    timeToFirstToken = latency("lorafleet_time_to_first_token_seconds", "time from arrival to the first token");
    interTokenLatency = latency("lorafleet_inter_token_latency_seconds", "time between consecutive tokens");
    endToEnd = latency("lorafleet_request_duration_seconds", "time from arrival to the last token");
    finished = Counter.builder().name("lorafleet_generations").help("finished generations by finish reason")
        .labelNames("reason").register(registry);
    cacheHits = tierCounter("lorafleet_adapter_cache_hits", "adapter requests served from the tier");
    cacheMisses = tierCounter("lorafleet_adapter_cache_misses", "adapter requests that missed the tier");
    cacheLoads = tierCounter("lorafleet_adapter_cache_loads", "adapters loaded into the tier");
    cacheEvictions = tierCounter("lorafleet_adapter_cache_evictions", "adapters evicted from the tier");
    cacheBytes = Gauge.builder().name("lorafleet_adapter_cache_bytes").help("adapter bytes held in the tier")
        .labelNames("tier").register(registry);
    cacheEntries = Gauge.builder().name("lorafleet_adapter_cache_entries").help("adapters held in the tier")
        .labelNames("tier").register(registry);
    routed = Counter.builder().name("lorafleet_routed_requests").help("generation requests by where they ran")
        .labelNames("target").register(registry);
    retries = Counter.builder().name("lorafleet_request_retries")
        .help("relayed requests retried on another node after theirs failed or refused").register(registry);
    supervisorDecisions = Counter.builder().name("lorafleet_supervisor_decisions")
        .help("cluster supervisor decisions by kind (on the node running the supervisor)").labelNames("kind")
        .register(registry);
    // Label "class": the three priority classes, nothing else.
    queueTime = Histogram.builder().name("lorafleet_queue_time_seconds")
        .help("time from a request's arrival in the engine to its first step (admission), by priority class")
        .labelNames("class").classicOnly().classicUpperBounds(LATENCY_BUCKETS).register(registry);
    for (PriorityClass c : PriorityClass.values()) {
      queueTime.labelValues(c.wireName());
    }
    clusterNodes = Gauge.builder().name("lorafleet_cluster_nodes")
        .help("serving nodes: live, desired and pending (as the supervisor sees them)").labelNames("state")
        .register(registry);
    // Tenant labels are the configured tenants' names and "other" for the rest (bounded by the configuration).
    tenantRequests = Counter.builder().name("lorafleet_tenant_requests")
        .help("generation requests admitted on this node, by tenant").labelNames("tenant").register(registry);
    tenantThrottled = Counter.builder().name("lorafleet_tenant_throttled")
        .help("generation requests refused with 429 on this node, by tenant and limit").labelNames("tenant", "limit")
        .register(registry);
    tenantTokens = Counter.builder().name("lorafleet_tenant_generated_tokens")
        .help("tokens generated for requests admitted on this node, by tenant").labelNames("tenant")
        .register(registry);
    tenantQueueTime = Histogram.builder().name("lorafleet_tenant_queue_time_seconds")
        .help("time from admission to the first token (queue wait, adapter load and prefill), by tenant")
        .labelNames("tenant").classicOnly().classicUpperBounds(LATENCY_BUCKETS).register(registry);
    unauthorized = Counter.builder().name("lorafleet_unauthorized_requests")
        .help("inference requests refused with 401: no API key (missing) or a wrong or revoked one (invalid)")
        .labelNames("reason").register(registry);
  }

  public void tenantRequest(String tenant) {
    tenantRequests.labelValues(tenant).inc();
  }

  /** A request of {@code tenant} refused by {@code limit} (requests_per_second, tokens_per_minute, ...). */
  public void tenantThrottled(String tenant, String limit) {
    tenantThrottled.labelValues(tenant, limit).inc();
  }

  public void tenantTokens(String tenant, long tokens) {
    tenantTokens.labelValues(tenant).inc(tokens);
  }

  public void tenantQueueTime(String tenant, double seconds) {
    tenantQueueTime.labelValues(tenant).observe(seconds);
  }

  public void unauthorized(String reason) {
    unauthorized.labelValues(reason).inc();
  }

  /** A generation ran here ({@code local}) or was relayed ({@code remote}). */
  public void routed(String target) {
    routed.labelValues(target).inc();
  }

  public void retried() {
    retries.inc();
  }

  public void supervisorDecision(String kind) {
    supervisorDecisions.labelValues(kind).inc();
  }

  public void clusterNodes(int live, int desired, int pending) {
    clusterNodes.labelValues("live").set(live);
    clusterNodes.labelValues("desired").set(desired);
    clusterNodes.labelValues("pending").set(pending);
  }

  private Histogram latency(String name, String help) {
    return Histogram.builder().name(name).help(help).classicOnly().classicUpperBounds(LATENCY_BUCKETS)
        .register(registry);
  }

  private Counter tierCounter(String name, String help) {
    return Counter.builder().name(name).help(help).labelNames("tier").register(registry);
  }

  /** Publishes the engine's load: queue depth, running batch, KV blocks, token counters. */
  public void bindEngine(Supplier<EngineStats> stats) {
    gauge("lorafleet_queue_depth", "requests waiting for the engine", s -> (double) s.waiting(), stats);
    gauge("lorafleet_running_sequences", "sequences in the running batch", s -> (double) s.running(), stats);
    gauge("lorafleet_kv_blocks_used", "KV cache blocks held by sequences", s -> (double) s.kvBlocksUsed(), stats);
    gauge("lorafleet_kv_blocks_total", "KV cache blocks in the pool", s -> (double) s.kvBlocksTotal(), stats);
    gauge("lorafleet_device_adapters", "adapters loaded in the backend", s -> (double) s.adaptersLoaded(), stats);
    CounterWithCallback.builder().name("lorafleet_generated_tokens").help("tokens generated (rate: tokens/s)")
        .callback(cb -> cb.call(stats.get().generatedTokens())).register(registry);
    CounterWithCallback.builder().name("lorafleet_prompt_tokens").help("prompt tokens run through the model")
        .callback(cb -> cb.call(stats.get().promptTokens())).register(registry);
    CounterWithCallback.builder().name("lorafleet_engine_steps").help("engine steps run")
        .callback(cb -> cb.call(stats.get().steps())).register(registry);
    gauge("lorafleet_kv_blocks_cached", "KV blocks registered in the prefix cache (held or evictable)",
        s -> (double) s.kvBlocksCached(), stats);
    gauge("lorafleet_kv_blocks_evictable", "cached KV blocks no sequence holds (reclaimed least recently used first)",
        s -> (double) s.kvBlocksEvictable(), stats);
    CounterWithCallback.builder().name("lorafleet_kv_blocks_evicted").help("cached KV blocks reclaimed for other content")
        .callback(cb -> cb.call(stats.get().kvBlocksEvicted())).register(registry);
    // Two label values: base-model requests and adapter requests (each adapter has a cache of its own).
    CounterWithCallback.builder().name("lorafleet_prefix_cache_queried_tokens")
        .help("prompt tokens looked up in the prefix cache at admission, base-model and adapter requests apart")
        .labelNames("model").callback(cb -> {
          EngineStats s = stats.get();
          cb.call(s.prefixQueriedBase(), "base");
          cb.call(s.prefixQueriedAdapter(), "adapter");
        }).register(registry);
    CounterWithCallback.builder().name("lorafleet_prefix_cache_hit_tokens")
        .help("prompt tokens found in the prefix cache (their KV reused, not computed)")
        .labelNames("model").callback(cb -> {
          EngineStats s = stats.get();
          cb.call(s.prefixHitBase(), "base");
          cb.call(s.prefixHitAdapter(), "adapter");
        }).register(registry);
    // Per priority class (label "class": interactive, standard, batch).
    classGauge("lorafleet_class_queue_depth", "requests waiting for the engine, by priority class",
        (p, c) -> p.waiting(c), stats);
    classGauge("lorafleet_class_running_sequences", "sequences in the running batch, by priority class",
        (p, c) -> p.running(c), stats);
    classCounter("lorafleet_admitted_requests", "requests admitted into the running batch, by priority class",
        (p, c) -> p.admitted(c), stats);
    classCounter("lorafleet_preemptions", "sequences preempted (recomputed later), by priority class",
        (p, c) -> p.preempted(c), stats);
    classCounter("lorafleet_priority_promotions", "waiting sequences raised one class by aging, by the class they left",
        (p, c) -> p.promoted(c), stats);
  }

  /** A value of the engine's per-class statistics. */
  private interface ClassValue {
    double of(PriorityStats stats, PriorityClass c);
  }

  private void classGauge(String name, String help, ClassValue f, Supplier<EngineStats> stats) {
    GaugeWithCallback.builder().name(name).help(help).labelNames("class").callback(cb -> {
      PriorityStats p = stats.get().priority();
      for (PriorityClass c : PriorityClass.values()) {
        cb.call(f.of(p, c), c.wireName());
      }
    }).register(registry);
  }

  private void classCounter(String name, String help, ClassValue f, Supplier<EngineStats> stats) {
    CounterWithCallback.builder().name(name).help(help).labelNames("class").callback(cb -> {
      PriorityStats p = stats.get().priority();
      for (PriorityClass c : PriorityClass.values()) {
        cb.call(f.of(p, c), c.wireName());
      }
    }).register(registry);
  }

  /** A request of class {@code c} waited {@code seconds} in the engine's queue before its first step. */
  public void queueTime(PriorityClass c, double seconds) {
    queueTime.labelValues(c.wireName()).observe(seconds);
  }

  /** {@link #bindEngine(Supplier)}, and the engine's queue times into {@code lorafleet_queue_time_seconds}. */
  public void bindEngine(Engine engine) {
    bindEngine(engine::stats);
    engine.observeQueueTime((c, nanos) -> queueTime(c, nanos / 1e9));
  }

  private void gauge(String name, String help, Function<EngineStats, Double> f, Supplier<EngineStats> stats) {
    GaugeWithCallback.builder().name(name).help(help).callback(cb -> cb.call(f.apply(stats.get()))).register(registry);
  }

  public void httpRequest(String route, int status) {
    httpRequests.labelValues(route, Integer.toString(status)).inc();
  }

  public void timeToFirstToken(double seconds) {
    timeToFirstToken.observe(seconds);
  }

  public void interTokenLatency(double seconds) {
    interTokenLatency.observe(seconds);
  }

  public void endToEnd(double seconds) {
    endToEnd.observe(seconds);
  }

  public void finished(String reason) {
    finished.labelValues(reason).inc();
  }

  public void cacheHit(String tier) {
    cacheHits.labelValues(tier).inc();
  }

  public void cacheMiss(String tier) {
    cacheMisses.labelValues(tier).inc();
  }

  public void cacheLoad(String tier) {
    cacheLoads.labelValues(tier).inc();
  }

  public void cacheEviction(String tier) {
    cacheEvictions.labelValues(tier).inc();
  }

  public void cacheUsage(String tier, long entries, long bytes) {
    cacheEntries.labelValues(tier).set(entries);
    cacheBytes.labelValues(tier).set(bytes);
  }

  /** The Prometheus text exposition format (version 0.0.4). */
  public String scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
