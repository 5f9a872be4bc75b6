package io.lorafleet.tools.gpubench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lorafleet.tools.stats.LatencyHistogram;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The figures one system produced in the run, the schema every side writes (snake_case JSON; the Python
 * peer writes the same keys). A figure the side could not measure is null.
 *
 * @param system      {@code lorafleet-engine}, {@code lorafleet-http} or {@code peft}
 * @param description how it was driven, in words
 * @param environment versions and device (free-form strings)
 * @param workload    what was run
 * @param latency     figure (a) and the sweep of (d): one point per adapter count
 * @param throughput  figure (b)
 * @param decode      figure (c)
 * @param adapterLoad figure (e)
 * @param profile     per-kernel decode profiles (LoraFleet on CUDA only), by batch name
 * @param notes       anything a reader of the figures must know (reduced counts, fallbacks)
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record SystemResult(
    String system, String description, Map<String, String> environment, GpuBenchWorkload workload,
    List<LatencyFigure> latency, ThroughputFigure throughput, DecodeFigure decode, AdapterLoadFigure adapterLoad,
    Map<String, JsonNode> profile, List<String> notes) {

  /**
   * Sequential single requests, each with an adapter drawn uniformly from the first {@code adapters}.
   *
   * @param adapters     adapters drawn from
   * @param requests     requests timed
   * @param promptTokens prompt length
   * @param newTokens    tokens generated per request
   * @param p50Ms        median request latency (submission to last token)
   * @param p99Ms        99th percentile
   * @param meanMs       mean
   * @param minMs        fastest
   * @param maxMs        slowest
   */
  public record LatencyFigure(int adapters, int requests, int promptTokens, int newTokens, double p50Ms, double p99Ms,
      double meanMs, double minMs, double maxMs) {
    static LatencyFigure of(int adapters, int promptTokens, int newTokens, double[] millis) {
      LatencyHistogram p = LatencyHistogram.ofMillis(millis);
      return new LatencyFigure(adapters, (int) p.count(), promptTokens, newTokens, p.p50Millis(), p.p99Millis(),
          p.meanMillis(), p.minMillis(), p.maxMillis());
    }
  }

  /**
   * Many requests at once over many adapters.
   *
   * @param method          continuous batching (LoraFleet) or static batches (the peer)
   * @param concurrency     requests in flight (LoraFleet) or batch size (the peer)
   * @param adapters        adapters the requests draw from
   * @param requests        requests completed
   * @param promptTokens    prompt length
   * @param newTokens       tokens generated per request
   * @param generatedTokens tokens generated in all
   * @param seconds         wall time from the first submission to the last completion
   * @param tokensPerS      generated tokens per second
   * @param requestP50Ms    median request latency under this load
   */
  public record ThroughputFigure(String method, int concurrency, int adapters, int requests, int promptTokens,
      int newTokens, long generatedTokens, double seconds, double tokensPerS, double requestP50Ms) {}

  /**
   * Decode steps against the floor of reading the weights once.
   *
   * @param weightBytesPerStep bytes of weights one decode step reads (all projections and the LM head)
   * @param bandwidth          the device bandwidth measured in the same run
   * @param floorMs            weightBytesPerStep / bandwidth
   * @param steps              the measured batches
   */
  public record DecodeFigure(long weightBytesPerStep, BandwidthFigure bandwidth, double floorMs,
      List<StepFigure> steps) {}

  /**
   * A memory bandwidth measurement.
   *
   * @param method    e.g. {@code cuMemcpyDtoD}, {@code torch copy_}, {@code host read (CPU backend)}
   * @param bytes     bytes per copy (or buffer)
   * @param gbPerS    best repetition, GB/s (10^9 bytes; a copy counts its reads and its writes)
   * @param repsGbPerS every repetition
   */
  public record BandwidthFigure(String method, long bytes, double gbPerS, List<Double> repsGbPerS) {}

  /**
   * Decode steps of one batch.
   *
   * @param batch        requests decoding together
   * @param adapters     distinct adapters among them
   * @param steps        pure decode steps timed
   * @param medianStepMs median step (time between consecutive tokens of a request)
   * @param meanStepMs   mean step
   * @param overFloor    medianStepMs / floorMs
   */
  public record StepFigure(int batch, int adapters, int steps, double medianStepMs, double meanStepMs,
      double overFloor) {}

  /**
   * Adapters from disk to the device.
   *
   * @param loaded          adapters loaded in all
   * @param timed           of those, loaded one at a time and timed
   * @param diskToHostP50Ms median time to read and check the files (into host memory); null where the
   *                        system does it in one call with the upload (the peer)
   * @param hostToDeviceP50Ms median time from host memory until resident on the device; null likewise
   * @param totalP50Ms      median of the sum
   * @param totalMeanMs     mean of the sum
   * @param allSeconds      wall time to load all of them
   */
  public record AdapterLoadFigure(int loaded, int timed, Double diskToHostP50Ms, Double hostToDeviceP50Ms,
      double totalP50Ms, double totalMeanMs, double allSeconds) {}

  static final ObjectMapper JSON = new ObjectMapper()
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  public SystemResult {
    environment = environment == null ? Map.of()
        : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(environment));
    latency = latency == null ? List.of() : List.copyOf(latency);
    profile = profile == null ? Map.of()
        : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(profile));
    notes = notes == null ? List.of() : List.copyOf(notes);
  }

  /** The latency point with {@code adapters} adapters, or null. */
  public LatencyFigure latencyAt(int adapters) {
    return latency.stream().filter(l -> l.adapters() == adapters).findFirst().orElse(null);
  }

  public static SystemResult read(Path file) throws IOException {
    return JSON.readValue(file.toFile(), SystemResult.class);
  }

  public void write(Path file) throws IOException {
    Path abs = file.toAbsolutePath();
    if (abs.getParent() != null) {
      Files.createDirectories(abs.getParent());
    }
    Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
    JSON.writeValue(tmp.toFile(), this);
    Files.move(tmp, abs, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * Runs one part of the benchmark that reports its figures as they come: each partial result it hands
   * to the consumer is written to {@code json} at once, then the final one; when the part fails, the last
   * partial result is kept with a note saying that the {@code part} stopped early, and the failure is thrown.
   */
  static SystemResult runWritingAsItGoes(Path json, String part, Part run) throws InterruptedException {
    java.util.concurrent.atomic.AtomicReference<SystemResult> last = new java.util.concurrent.atomic.AtomicReference<>();
    try {
      SystemResult r = run.run(result -> {
        last.set(result);
        result.writeUnchecked(json);
      });
      r.writeUnchecked(json);
      return r;
    } catch (RuntimeException e) {
      if (last.get() != null) {
        last.get().withNote("the " + part + " stopped early: " + e).writeUnchecked(json);
      }
      throw e;
    }
  }

  /** A part of the benchmark: its final result, partial ones handed to {@code progress} as they come. */
  @FunctionalInterface
  interface Part {
    SystemResult run(java.util.function.Consumer<SystemResult> progress) throws InterruptedException;
  }

  private void writeUnchecked(Path file) {
    try {
      write(file);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A copy with {@code note} added. */
  SystemResult withNote(String note) {
    List<String> n = new java.util.ArrayList<>(notes);
    n.add(note);
    return new SystemResult(system, description, environment, workload, latency, throughput, decode, adapterLoad,
        profile, n);
  }
}
