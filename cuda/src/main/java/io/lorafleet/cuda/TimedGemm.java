package io.lorafleet.cuda;

import java.util.function.BiFunction;

/**
 * A {@link Gemm} whose products are timed by a {@link KernelProfile}, each under a label naming the
 * weight it multiplies ({@code gemm[qkv]}, {@code gemm[lm_head]}, ...), found from its n and k.
 */
final class TimedGemm implements Gemm {
  private final Gemm gemm;
  private final KernelProfile profile;
  private final BiFunction<Integer, Integer, String> label;

  TimedGemm(Gemm gemm, KernelProfile profile, BiFunction<Integer, Integer, String> label) {
    this.gemm = gemm;
    this.profile = profile;
    this.label = label;
  }

  @Override
  public String name() {
    return gemm.name();
  }

  @Override
  public void multiply(long x, long w, long y, int m, int n, int k, int ldy) {
    profile.time(label.apply(n, k), () -> gemm.multiply(x, w, y, m, n, k, ldy));
  }

  /** The wrapped product stays open: the backend closes it. */
  @Override
  public void close() {}
}
