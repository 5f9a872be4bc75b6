package io.lorafleet.tools.stats;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/**
 * A latency distribution, the one every tool keeps: an HdrHistogram of microseconds (three significant
 * digits, so every percentile is within 0.1% of the recorded value, from 0 up to an hour; longer values count
 * as an hour), read back in milliseconds. It can be encoded (compressed, Base64) into a report and decoded
 * again, so that the reports of several runs merge exactly ({@link #add}). Not thread-safe: record from one
 * thread, or merge per-thread histograms.
 */
public final class LatencyHistogram {
  private static final long MAX_MICROS = TimeUnit.HOURS.toMicros(1);
  private final Histogram histogram;

  public LatencyHistogram() {
    this(new Histogram(MAX_MICROS, 3));
  }

  private LatencyHistogram(Histogram histogram) {
    this.histogram = histogram;
  }

  /** A histogram from {@link #encode()} (empty for null or an empty string). */
  public static LatencyHistogram decode(String encoded) {
    if (encoded == null || encoded.isEmpty()) {
      return new LatencyHistogram();
    }
    try {
      ByteBuffer buf = ByteBuffer.wrap(Base64.getDecoder().decode(encoded));
      return new LatencyHistogram(Histogram.decodeFromCompressedByteBuffer(buf, MAX_MICROS));
    } catch (DataFormatException | IllegalArgumentException e) {
      throw new IllegalArgumentException("not an encoded latency histogram: " + e.getMessage(), e);
    }
  }

  /** A histogram of {@code millis}. */
  public static LatencyHistogram ofMillis(double... millis) {
    LatencyHistogram h = new LatencyHistogram();
    for (double ms : millis) {
      h.recordMillis(ms);
    }
    return h;
  }

  public void recordNanos(long nanos) {
    recordMicros(nanos / 1000);
  }

  public void recordMillis(double millis) {
    recordMicros(Math.round(millis * 1000));
  }

  public void recordSeconds(double seconds) {
    recordMicros(Math.round(seconds * 1e6));
  }

  private void recordMicros(long micros) {
    histogram.recordValue(Math.max(0, Math.min(MAX_MICROS, micros)));
  }

  /** Adds {@code other}'s values to this one; returns this. */
  public LatencyHistogram add(LatencyHistogram other) {
    histogram.add(other.histogram);
    return this;
  }

  public long count() {
    return histogram.getTotalCount();
  }

  /**
   * The value at {@code percentile} (0..100) in milliseconds: the smallest recorded value (to the histogram's
   * precision) that {@code percentile}% of the values are at or below; 0 when empty.
   */
  public double percentileMillis(double percentile) {
    if (!(percentile >= 0 && percentile <= 100)) {
      throw new IllegalArgumentException("percentile " + percentile + " outside [0, 100]");
    }
    return histogram.getValueAtPercentile(percentile) / 1000.0;
  }

  public double p50Millis() {
    return percentileMillis(50);
  }

  public double p90Millis() {
    return percentileMillis(90);
  }

  public double p99Millis() {
    return percentileMillis(99);
  }

  public double meanMillis() {
    return histogram.getMean() / 1000.0;
  }

  public double minMillis() {
    return count() == 0 ? 0 : histogram.getMinValue() / 1000.0;
  }

  public double maxMillis() {
    return histogram.getMaxValue() / 1000.0;
  }

  /** The histogram compressed and Base64-encoded ({@link #decode} reads it back). */
  public String encode() {
    ByteBuffer buf = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
    int len = histogram.encodeIntoCompressedByteBuffer(buf, 9);
    return Base64.getEncoder().encodeToString(Arrays.copyOf(buf.array(), len));
  }
}
