package io.lorafleet.tools.gpubench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.cuda.CudaDiagnostics;
import io.lorafleet.runtime.backend.BackendConfig;
import io.lorafleet.runtime.engine.Engine;
import io.lorafleet.runtime.engine.EngineConfig;
import io.lorafleet.runtime.engine.LoadedModel;
import io.lorafleet.runtime.model.LoraAdapter;
import io.lorafleet.tools.bench.EnginePhases;
import io.lorafleet.tools.bench.MemoryBandwidth;
import io.lorafleet.tools.bench.PhaseResult;
import io.lorafleet.tools.gpubench.SystemResult.AdapterLoadFigure;
import io.lorafleet.tools.gpubench.SystemResult.BandwidthFigure;
import io.lorafleet.tools.gpubench.SystemResult.DecodeFigure;
import io.lorafleet.tools.gpubench.SystemResult.LatencyFigure;
import io.lorafleet.tools.gpubench.SystemResult.StepFigure;
import io.lorafleet.tools.gpubench.SystemResult.ThroughputFigure;
import io.lorafleet.tools.report.HostInfo;
import io.lorafleet.tools.stats.LatencyHistogram;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine alone, in this process, on the manifest's checkpoint: the device bandwidth (a device-to-device
 * copy on CUDA, a host read on the CPU backend), every adapter loaded from disk onto the device (figure e),
 * decode steps at batch 1 and at the workload's concurrency against the bandwidth floor (c), a per-kernel
 * profile of those steps (CUDA), then, with the engine on its own thread, the latency sweep (a, d) and
 * closed-loop throughput (b). The figures so far are handed to {@code progress} after every phase, so that a
 * run cut short still leaves them behind.
 */
final class EngineBench {
  private static final Logger log = LoggerFactory.getLogger(EngineBench.class);
  private static final long WARMUP_NANOS = 2_000_000_000L;

  /**
   * How the engine side runs.
   *
   * @param workload        the requests
   * @param backend         backend name (cuda, cpu, auto)
   * @param backendOptions  threads and device
   * @param engineConfig    engine sizing (the batch is raised to the workload's concurrency)
   * @param bandwidthBytes  buffer of the bandwidth probe (each of the two on a GPU)
   * @param bandwidthReps   repetitions of the probe
   * @param loadTimed       adapters loaded one at a time and timed; the rest are read in parallel
   * @param loaderThreads   threads reading the untimed adapters
   * @param profileSteps    decode steps per profiled batch (0: no profile)
   */
  record Settings(GpuBenchWorkload workload, String backend, BackendConfig backendOptions, EngineConfig engineConfig,
      long bandwidthBytes, int bandwidthReps, int loadTimed, int loaderThreads, int profileSteps) {}

  private final BenchManifest manifest;
  private final Settings s;
  private final GpuBenchWorkload w;
  private final PrintStream out;
  private final Consumer<SystemResult> progress;

  private final Map<String, String> environment = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();
  private final Map<String, JsonNode> profiles = new LinkedHashMap<>();
  private List<LatencyFigure> latency = List.of();
  private ThroughputFigure throughput;
  private DecodeFigure decode;
  private AdapterLoadFigure adapterLoad;

  EngineBench(BenchManifest manifest, Settings settings, PrintStream out, Consumer<SystemResult> progress) {
    this.manifest = manifest;
    this.s = settings;
    this.w = settings.workload();
    this.out = out;
    this.progress = progress;
  }

  private SystemResult result() {
    return new SystemResult("lorafleet-engine", "LoraFleet engine in-process (Engine.submit, continuous batching, "
        + "greedy), no HTTP", environment, w, latency, throughput, decode, adapterLoad, profiles, notes);
  }

  private void publish() {
    progress.accept(result());
  }

  SystemResult run() {
    int c = w.concurrency();
    EngineConfig base = s.engineConfig();
    EngineConfig config = base.toBuilder().maxNumSeqs(Math.max(base.maxNumSeqs(), c))
        .maxWaiting(Math.max(base.maxWaiting(), w.throughputRequests())).build();
    HostInfo host = HostInfo.detect();
    try (LoadedModel le = LoadedModel.open(manifest.modelPath(), s.backend(), s.backendOptions(), config)) {
      Engine engine = le.engine();
      CudaDiagnostics cuda = CudaDiagnostics.of(le.backend()).orElse(null);
      environment.put("backend", le.backend().name());
      environment.put("model", manifest.shape() + " (" + manifest.modelDir() + ")");
      environment.put("java", host.javaVersion() + " (" + host.javaVm() + ")");
      environment.put("host_cpu", host.cpuModel() + ", " + host.cores() + " cores");
      environment.put("os", host.os());
      if (cuda != null) {
        environment.put("gpu", cuda.deviceName());
        environment.put("compute_capability", cuda.computeCapability() / 10 + "." + cuda.computeCapability() % 10);
        environment.put("cuda_driver_api", cuda.driverApiVersion());
        environment.put("gemm", cuda.gemmName());
      }
      environment.put("engine", "max_num_seqs " + config.maxNumSeqs() + ", max_batch_tokens " + config.maxBatchTokens()
          + ", block_size " + config.blockSize());
      publish();

      BandwidthFigure bandwidth = bandwidth(cuda);
      List<LoraAdapter> adapters = loadAdapters(le, cuda);
      publish();

      int bos = manifest.bosTokenId();
      EnginePhases phases = new EnginePhases(engine, bos);
      warmUp(phases, adapters);
      decode = decodeFigure(le, phases, adapters, bandwidth);
      publish();
      if (cuda != null && s.profileSteps() > 0) {
        profile(cuda, phases, 1, adapters);
        profile(cuda, phases, c, adapters);
        publish();
      } else if (s.profileSteps() > 0) {
        notes.add("no per-kernel profile: it needs the CUDA backend (this run used " + le.backend().name() + ")");
      }

      engine.start();
      LoadPhases load = new LoadPhases("engine", new EngineTarget(engine, adapters), w, adapters.size(),
          manifest.vocabSize(), bos);
      load.sweep(notes, points -> {
        latency = points;
        publish();
      });
      throughput = load.throughput("continuous batching, " + c + " requests in flight (closed loop)");
      publish();
      return result();
    }
  }

  private BandwidthFigure bandwidth(CudaDiagnostics cuda) {
    if (cuda != null) {
      CudaDiagnostics.CopyBandwidth b = cuda.measureCopyBandwidth(s.bandwidthBytes(), 10, s.bandwidthReps());
      log.info("device copy bandwidth: {} GB/s (2 x {} MiB per copy)", fmt(b.bestGbPerSecond()), b.bytes() >> 20);
      return new BandwidthFigure("cuMemcpyDtoDAsync, 2 x bytes / time (read + write), best of "
          + b.gbPerSecondReps().size() + " x " + b.copiesPerRep() + " copies", b.bytes(), b.bestGbPerSecond(),
          b.gbPerSecondReps());
    }
    int threads = s.backendOptions().resolvedThreads();
    MemoryBandwidth.Result b = MemoryBandwidth.measure(s.bandwidthBytes(), threads, s.bandwidthReps());
    log.info("host memory bandwidth: {} GB/s", fmt(b.bestGbPerSecond()));
    return new BandwidthFigure("host memory read, " + threads + " threads (CPU backend)", b.bufferBytes(),
        b.bestGbPerSecond(), b.gbPerSecondReps());
  }

  /** Loads every adapter of the manifest and makes it resident; the first {@code loadTimed} one by one, timed. */
  private List<LoraAdapter> loadAdapters(LoadedModel le, CudaDiagnostics cuda) {
    List<BenchManifest.Adapter> all = manifest.adapters();
    int n = all.size();
    int timed = Math.min(n, Math.max(1, s.loadTimed()));
    List<LoraAdapter> adapters = new ArrayList<>(n);
    double[] disk = new double[timed];
    double[] device = new double[timed];
    double[] total = new double[timed];
    long t0 = System.nanoTime();
    int resident = 0;
    for (int i = 0; i < timed; i++) {
      BenchManifest.Adapter m = all.get(i);
      long a0 = System.nanoTime();
      LoraAdapter a = le.loadAdapter(m.name(), m.path(), 0);
      long a1 = System.nanoTime();
      resident += makeResident(le.engine(), cuda, a) ? 1 : 0;
      long a2 = System.nanoTime();
      disk[i] = (a1 - a0) / 1e6;
      device[i] = (a2 - a1) / 1e6;
      total[i] = (a2 - a0) / 1e6;
      adapters.add(a);
    }
    if (n > timed) {
      try (ExecutorService readers = Executors.newFixedThreadPool(Math.max(1, s.loaderThreads()))) {
        List<Future<LoraAdapter>> reads = new ArrayList<>();
        for (int i = timed; i < n; i++) {
          BenchManifest.Adapter m = all.get(i);
          reads.add(readers.submit(() -> le.loadAdapter(m.name(), m.path(), 0)));
        }
        for (Future<LoraAdapter> f : reads) {
          LoraAdapter a = f.get();
          resident += makeResident(le.engine(), cuda, a) ? 1 : 0;
          adapters.add(a);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while loading adapters", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("loading an adapter failed: " + e.getCause().getMessage(), e.getCause());
      }
    }
    double allSeconds = (System.nanoTime() - t0) / 1e9;
    if (resident < n) {
      notes.add("only " + resident + " of " + n + " adapters fit on the device at once; the others load when used");
    }
    LatencyHistogram p = LatencyHistogram.ofMillis(total);
    adapterLoad = new AdapterLoadFigure(n, timed, LatencyHistogram.ofMillis(disk).p50Millis(),
        LatencyHistogram.ofMillis(device).p50Millis(), p.p50Millis(), p.meanMillis(), allSeconds);
    log.info("{} adapters loaded in {} s; one at a time: {} ms from disk to host, {} ms to the device (medians)", n,
        fmt(allSeconds), fmt(adapterLoad.diskToHostP50Ms()), fmt(adapterLoad.hostToDeviceP50Ms()));
    return adapters;
  }

  /** Loads {@code a} into the backend through the engine (the step runs the command) and waits for the upload. */
  private static boolean makeResident(Engine engine, CudaDiagnostics cuda, LoraAdapter a) {
    var done = engine.prefetchAdapter(a);
    engine.step();
    boolean resident = done.join();
    if (cuda != null) {
      cuda.awaitAdapterUploads();
    }
    return resident;
  }

  private void warmUp(EnginePhases phases, List<LoraAdapter> adapters) {
    long t0 = System.nanoTime();
    int runs = 0;
    List<LoraAdapter> mixed = adapters.subList(0, Math.min(adapters.size(), w.concurrency()));
    do {
      phases.decode("warmup-1", 1, adapters.subList(0, 1), w.promptTokens(), 4);
      phases.decode("warmup-" + w.concurrency(), w.concurrency(), mixed, w.promptTokens(), 4);
      runs++;
    } while (System.nanoTime() - t0 < WARMUP_NANOS && runs < 20);
    log.info("warm-up: {} rounds in {} s", runs, fmt((System.nanoTime() - t0) / 1e9));
  }

  private List<LoraAdapter> batchAdapters(List<LoraAdapter> adapters, int batch) {
    return adapters.subList(0, Math.min(adapters.size(), Math.min(batch, w.throughputAdapters())));
  }

  private DecodeFigure decodeFigure(LoadedModel le, EnginePhases phases, List<LoraAdapter> adapters,
      BandwidthFigure bandwidth) {
    long weightBytes = le.model().weights().bytesReadPerStep();
    double floorMs = weightBytes / (bandwidth.gbPerS() * 1e9) * 1e3;
    List<StepFigure> steps = new ArrayList<>();
    for (int batch : new int[] {1, w.concurrency()}) {
      List<LoraAdapter> used = batchAdapters(adapters, batch);
      PhaseResult r = phases.decode("decode-batch" + batch, batch, used, w.promptTokens(), w.decodeSteps());
      // Pure decode steps with the whole batch in them (sequences that were prefilled in earlier chunks
      // finish earlier, so the last steps of the phase may be smaller).
      int full = batch;
      double[] ms = r.steps().stream().filter(st -> st.promptTokens() == 0 && st.rows() == full)
          .mapToDouble(PhaseResult.Step::millis).toArray();
      if (ms.length == 0) {
        throw new IllegalStateException("no decode step ran the whole batch of " + batch);
      }
      LatencyHistogram p = LatencyHistogram.ofMillis(ms);
      double median = p.p50Millis();
      steps.add(new StepFigure(batch, (int) used.stream().distinct().count(), ms.length, median, p.meanMillis(),
          median / floorMs));
      log.info("decode at batch {}: median step {} ms, floor {} ms ({}x)", batch, fmt(median), fmt(floorMs),
          fmt(median / floorMs));
      if (batch == w.concurrency()) {
        break;
      }
    }
    return new DecodeFigure(weightBytes, bandwidth, floorMs, steps);
  }

  private void profile(CudaDiagnostics cuda, EnginePhases phases, int batch, List<LoraAdapter> adapters) {
    try (CudaDiagnostics.Profile p = cuda.startProfile()) {
      phases.decode("profile-batch" + batch, batch, batchAdapters(adapters, batch), w.promptTokens(), s.profileSteps(),
          step -> {
            if (step.promptTokens() > 0) {
              p.reset();
            }
          });
      ObjectNode json = profileJson(p.summary());
      out.printf(Locale.ROOT, "%n== per-kernel profile: decode at batch %d, %d distinct adapters (CUDA events)%n", batch,
          batchAdapters(adapters, batch).size());
      out.print(Comparison.profile("batch" + batch, json, Integer.MAX_VALUE));
      out.flush();
      profiles.put("batch" + batch, json);
    }
  }

  static ObjectNode profileJson(CudaDiagnostics.ProfileSummary sum) {
    ObjectNode o = SystemResult.JSON.createObjectNode();
    o.put("steps", sum.steps());
    o.put("host_ms_per_step", sum.wallMillisPerStep());
    o.put("device_busy_ms_per_step", sum.deviceMillisPerStep());
    o.put("device_idle_ms_per_step", sum.idleMillisPerStep());
    o.put("launches_per_step", sum.launchesPerStep());
    ArrayNode ops = o.putArray("operations");
    double device = sum.deviceMillis();
    for (CudaDiagnostics.ProfileEntry e : sum.entries()) {
      ObjectNode x = ops.addObject();
      x.put("name", e.name());
      x.put("calls_per_step", (double) e.calls() / Math.max(1, sum.steps()));
      x.put("ms_per_step", e.totalMillis() / Math.max(1, sum.steps()));
      x.put("mean_us", e.meanMicros());
      x.put("share", device > 0 ? e.totalMillis() / device : 0);
    }
    return o;
  }

  private static String fmt(double v) {
    return LoadPhases.fmt(v);
  }
}
