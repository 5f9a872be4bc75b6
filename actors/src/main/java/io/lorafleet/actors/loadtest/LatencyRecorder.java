package io.lorafleet.actors.loadtest;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/**
 * A latency distribution (HdrHistogram, microsecond resolution, three significant digits, up to an hour)
 * summarized in milliseconds. The summary carries the histogram itself (compressed, Base64), so that the
 * reports of several runs can be merged exactly ({@link #decode}, {@link #add}).
 */
final class LatencyRecorder {
  private static final long MAX_MICROS = TimeUnit.HOURS.toMicros(1);
  private final Histogram histogram;

  LatencyRecorder() {
    this(new Histogram(MAX_MICROS, 3));
  }

  private LatencyRecorder(Histogram histogram) {
    this.histogram = histogram;
  }

  /** The histogram of a summary (empty when it has none). */
  static LatencyRecorder decode(LoadTestReport.Latency summary) {
    if (summary == null || summary.histogram() == null || summary.histogram().isEmpty()) {
      return new LatencyRecorder();
    }
    try {
      ByteBuffer buf = ByteBuffer.wrap(Base64.getDecoder().decode(summary.histogram()));
      return new LatencyRecorder(Histogram.decodeFromCompressedByteBuffer(buf, MAX_MICROS));
    } catch (DataFormatException | IllegalArgumentException e) {
      throw new IllegalArgumentException("not an encoded latency histogram: " + e.getMessage(), e);
    }
  }

  void recordNanos(long nanos) {
    long micros = Math.max(1, Math.min(MAX_MICROS, nanos / 1000));
    histogram.recordValue(micros);
  }

  LatencyRecorder add(LatencyRecorder other) {
    histogram.add(other.histogram);
    return this;
  }

  LoadTestReport.Latency summary() {
    long n = histogram.getTotalCount();
    if (n == 0) {
      return new LoadTestReport.Latency(0, null, null, null, null, null, null);
    }
    ByteBuffer buf = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
    int len = histogram.encodeIntoCompressedByteBuffer(buf, 9);
    String encoded = Base64.getEncoder().encodeToString(Arrays.copyOf(buf.array(), len));
    return new LoadTestReport.Latency(n, ms(histogram.getValueAtPercentile(50)), ms(histogram.getValueAtPercentile(90)),
        ms(histogram.getValueAtPercentile(99)), ms(histogram.getMaxValue()), round(histogram.getMean() / 1000.0),
        encoded);
  }

  private static double ms(long micros) {
    return round(micros / 1000.0);
  }

  private static double round(double ms) {
    return Math.round(ms * 1000.0) / 1000.0;
  }
}
