package io.lorafleet.runtime.backend;

import java.util.Locale;

/**
 * Whether the CPU backend sends its large products (prefill, batched decode) to a native library (oneDNN's
 * bf16 matmul) instead of its Vector-API kernels: {@code auto} where the library loads and the CPU has
 * native bf16 dot products, {@code on} always (fails without the library), {@code off} never (the default:
 * oneDNN rounds the products' inputs to bf16, so logits move by up to ~0.24 on the fixture model, 2 of the
 * demo model's 280 batched greedy generations differ from transformers + PEFT, and a row's result depends
 * on whether its batch was large enough to take that path).
 */
public enum NativeGemm {
  AUTO,
  ON,
  OFF;

  /** System property that gives the default where no setting says otherwise (tests, benchmarks). */
  public static final String PROPERTY = "lorafleet.engine.cpu.native-gemm";

  /** Parses {@code auto}, {@code on} or {@code off} (any case). */
  public static NativeGemm parse(String s) {
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException("native GEMM setting must be auto, on or off, not '" + s + "'");
    }
  }

  /** The {@link #PROPERTY} system property, or {@link #OFF}. */
  public static NativeGemm fromSystemProperty() {
    String s = System.getProperty(PROPERTY);
    return s == null || s.isBlank() ? OFF : parse(s);
  }

  public String setting() {
    return name().toLowerCase(Locale.ROOT);
  }
}
