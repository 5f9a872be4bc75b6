package io.lorafleet.cuda;

import io.lorafleet.runtime.backend.Backend;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The one door into the CUDA backend for measuring tools (the GPU benchmark): which device and products
 * run, the device's copy bandwidth, waiting for adapter uploads, and a per-kernel profile of steps.
 * Everything else in this package is internal; the backend itself is found through {@link
 * CudaBackendProvider}.
 */
public final class CudaDiagnostics {
  private final CudaBackend backend;

  private CudaDiagnostics(CudaBackend backend) {
    this.backend = backend;
  }

  /** The diagnostics of {@code backend} when it is the CUDA backend; empty for any other. */
  public static Optional<CudaDiagnostics> of(Backend backend) {
    return backend instanceof CudaBackend cb ? Optional.of(new CudaDiagnostics(cb)) : Optional.empty();
  }

  public String deviceName() {
    return backend.gpu().deviceName();
  }

  /** e.g. 90 for sm_90. */
  public int computeCapability() {
    return backend.gpu().computeCapability();
  }

  /** The driver's CUDA API version as "major.minor". */
  public String driverApiVersion() {
    int v = JCudaGpu.driverVersion();
    return v / 1000 + "." + v % 1000 / 10;
  }

  /** What runs the matrix products (cuBLAS or the own kernel). */
  public String gemmName() {
    return backend.gemmName();
  }

  /**
   * The device's copy bandwidth, measured now on the compute stream with two buffers of {@code bytes}
   * (taken from the memory outside the page pool, and freed again).
   */
  public CopyBandwidth measureCopyBandwidth(long bytes, int copiesPerRep, int reps) {
    return backend.measureCopyBandwidth(bytes, copiesPerRep, reps);
  }

  /** Blocks until every adapter upload queued so far has reached the device. */
  public void awaitAdapterUploads() {
    backend.awaitAdapterUploads();
  }

  /**
   * Times every operation of the following steps until the returned profile is closed (steps then run
   * untimed again); it fills as steps complete.
   */
  public Profile startProfile() {
    KernelProfile p = backend.startProfile();
    return new Profile() {
      @Override
      public void reset() {
        p.reset();
      }

      @Override
      public ProfileSummary summary() {
        return p.summary();
      }

      @Override
      public void close() {
        backend.stopProfile();
      }
    };
  }

  /** A per-kernel profile being recorded. */
  public interface Profile extends AutoCloseable {
    /** Forgets what was measured so far (after warm-up steps). */
    void reset();

    ProfileSummary summary();

    /** Ends profiling. */
    @Override
    void close();
  }

  /**
   * The device's memory bandwidth as a device-to-device copy sees it ({@code cuMemcpyDtoDAsync}, timed with
   * events): a copy of {@code bytes} reads and writes that many bytes, so its rate is {@code 2 * bytes /
   * time}. That is the figure a step that streams its weights once is measured against.
   *
   * @param bytes           bytes of one copy (buffers far larger than the L2 cache)
   * @param copiesPerRep    copies timed together in one repetition
   * @param gbPerSecondReps the rate of each repetition in GB/s (10^9 bytes, read plus written)
   */
  public record CopyBandwidth(long bytes, int copiesPerRep, List<Double> gbPerSecondReps) {
    public CopyBandwidth {
      gbPerSecondReps = List.copyOf(gbPerSecondReps);
    }

    public double bestGbPerSecond() {
      return Collections.max(gbPerSecondReps);
    }
  }

  /**
   * One operation's totals in a profile.
   *
   * @param name        kernel name, {@code gemm[...]} for a product, {@code memcpy ...} for a copy
   * @param calls       launches over all profiled steps
   * @param totalMillis device time over all profiled steps
   */
  public record ProfileEntry(String name, long calls, double totalMillis) {
    public double meanMicros() {
      return calls == 0 ? 0 : totalMillis * 1000 / calls;
    }
  }

  /**
   * The profile of some steps.
   *
   * @param steps       steps profiled
   * @param wallMillis  host time of those steps (from the start of queueing to the end of the result copy)
   * @param entries     per operation, most device time first
   */
  public record ProfileSummary(int steps, double wallMillis, List<ProfileEntry> entries) {
    public ProfileSummary {
      entries = List.copyOf(entries);
    }

    public double deviceMillis() {
      return entries.stream().mapToDouble(ProfileEntry::totalMillis).sum();
    }

    public double wallMillisPerStep() {
      return steps == 0 ? 0 : wallMillis / steps;
    }

    public double deviceMillisPerStep() {
      return steps == 0 ? 0 : deviceMillis() / steps;
    }

    /** Per step, the host time in which the device ran none of the profiled operations. */
    public double idleMillisPerStep() {
      return Math.max(0, wallMillisPerStep() - deviceMillisPerStep());
    }

    public long launchesPerStep() {
      return steps == 0 ? 0 : entries.stream().mapToLong(ProfileEntry::calls).sum() / steps;
    }

    /** A plain-text table: one line per operation with calls and time per step, mean time and share. */
    public String table() {
      StringBuilder sb = new StringBuilder();
      double device = deviceMillis();
      int width = Math.max(9, entries.stream().mapToInt(e -> e.name().length()).max().orElse(9));
      sb.append(String.format(Locale.ROOT, "%-" + width + "s  %9s  %10s  %9s  %6s%n", "operation", "calls/step",
          "ms/step", "mean us", "share"));
      for (ProfileEntry e : entries) {
        sb.append(String.format(Locale.ROOT, "%-" + width + "s  %9.1f  %10.4f  %9.2f  %5.1f%%%n", e.name(),
            (double) e.calls() / Math.max(1, steps), e.totalMillis() / Math.max(1, steps), e.meanMicros(),
            device > 0 ? 100 * e.totalMillis() / device : 0));
      }
      sb.append(String.format(Locale.ROOT, "%d steps: host %.4f ms/step, device busy %.4f ms/step, device idle "
              + "%.4f ms/step, %d launches/step%n", steps, wallMillisPerStep(), deviceMillisPerStep(),
          idleMillisPerStep(), launchesPerStep()));
      return sb.toString();
    }
  }
}
