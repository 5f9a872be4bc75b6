package io.lorafleet.cuda;

import java.util.ArrayList;
import java.util.List;

/** Measures {@link CudaDiagnostics.CopyBandwidth}: device-to-device copies timed with events. */
final class DeviceCopyBandwidth {
  private DeviceCopyBandwidth() {}

  /** Copies between two fresh buffers of {@code bytes} on {@code stream}: one untimed, then {@code reps} timed repetitions. */
  static CudaDiagnostics.CopyBandwidth measure(Gpu gpu, GpuStream stream, long bytes, int copiesPerRep, int reps) {
    if (bytes < 1 || copiesPerRep < 1 || reps < 1) {
      throw new IllegalArgumentException("bytes, copies and reps must be positive");
    }
    gpu.makeCurrent();
    long src = gpu.allocate(bytes);
    long dst;
    try {
      dst = gpu.allocate(bytes);
    } catch (RuntimeException e) {
      gpu.free(src);
      throw e;
    }
    try {
      gpu.zero(src, bytes, stream);
      gpu.zero(dst, bytes, stream);
      gpu.copyOnDevice(dst, src, bytes, stream);
      gpu.synchronize(stream);
      List<Double> rates = new ArrayList<>();
      for (int r = 0; r < reps; r++) {
        GpuEvent start = gpu.recordTimed(stream);
        for (int c = 0; c < copiesPerRep; c++) {
          gpu.copyOnDevice(dst, src, bytes, stream);
        }
        GpuEvent end = gpu.recordTimed(stream);
        gpu.synchronize(end);
        double ms = gpu.elapsedMillis(start, end);
        gpu.release(start);
        gpu.release(end);
        rates.add(ms > 0 ? 2.0 * bytes * copiesPerRep / (ms / 1e3) / 1e9 : Double.NaN);
      }
      return new CudaDiagnostics.CopyBandwidth(bytes, copiesPerRep, rates);
    } finally {
      gpu.free(dst);
      gpu.free(src);
    }
  }
}
