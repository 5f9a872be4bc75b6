package io.lorafleet.tools.loadtest;

import io.lorafleet.tools.client.ServingApi;
import java.net.URI;
import java.time.Duration;

/**
 * What one load test does.
 *
 * @param url              base URL of the node, e.g. {@code http://127.0.0.1:8080}
 * @param api              which API the requests use
 * @param stream           stream responses (time to first token is measured only then)
 * @param adapters         how many adapters requests spread over (0: the base model only; null: every
 *                         adapter the server lists)
 * @param adapterPrefix    adapter ids are {@code prefix + index} (as {@code make-adapters} names them) instead
 *                         of the server's listing; null to ask the server
 * @param rate             requests started per second (Poisson arrivals)
 * @param duration         how long requests are started for, after the warmup
 * @param warmup           how long requests are started before the measured window (not counted)
 * @param zipf             exponent of the Zipf popularity over the adapters (0: uniform)
 * @param promptTokens     words per prompt (about one token each with common words)
 * @param maxNewTokens     tokens generated per request (end of sequence ignored)
 * @param seed             seeds arrivals, adapter choices and prompts (each from its own stream)
 * @param concurrencyLimit most requests in flight; arrivals beyond it are not started (0: no limit)
 * @param timeout          longest wait for a response's headers, and for the last responses after the run
 */
public record LoadTestSettings(URI url, ServingApi api, boolean stream, Integer adapters, String adapterPrefix,
    double rate, Duration duration, Duration warmup, double zipf, int promptTokens, int maxNewTokens, long seed,
    int concurrencyLimit, Duration timeout) {

  public LoadTestSettings {
    if (!(rate > 0) || Double.isInfinite(rate)) {
      throw new IllegalArgumentException("--rate must be > 0, got " + rate);
    }
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException("--duration must be > 0, got " + duration.toMillis() / 1000.0 + " s");
    }
    if (warmup.isNegative()) {
      throw new IllegalArgumentException("--warmup must be >= 0");
    }
    if (adapters != null && adapters < 0) {
      throw new IllegalArgumentException("--adapters must be >= 0, got " + adapters);
    }
    if (adapterPrefix != null && adapters == null) {
      throw new IllegalArgumentException("--adapter-prefix needs --adapters N");
    }
    if (zipf < 0 || Double.isNaN(zipf)) {
      throw new IllegalArgumentException("--zipf must be >= 0, got " + zipf);
    }
    if (promptTokens < 1 || maxNewTokens < 1) {
      throw new IllegalArgumentException("--prompt-tokens and --max-new-tokens must be >= 1");
    }
    if (concurrencyLimit < 0) {
      throw new IllegalArgumentException("--concurrency-limit must be >= 0, got " + concurrencyLimit);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("--timeout must be > 0");
    }
  }
}
