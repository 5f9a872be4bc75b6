package io.lorafleet.tools.client;

/**
 * How one load-test request went. Times are {@link System#nanoTime()}; latencies count from {@code
 * scheduledNanos}, the arrival the Poisson schedule gave the request (not when it was actually sent), so a
 * generator that falls behind cannot hide the delay it causes.
 *
 * @param adapter         the adapter asked for (null: base model)
 * @param warmup          started during the warmup (not counted)
 * @param result          ok, failed, or not even started
 * @param reason          for failures: the HTTP status ("503") or what went wrong ("stream_error", "io_error",
 *                        "timeout", "incomplete"); for requests not started: why ("concurrency_limit",
 *                        "connect_error", "client_error"); null when ok
 * @param scheduledNanos  the request's arrival in the schedule
 * @param sentNanos       when it was handed to the HTTP client (0: never)
 * @param firstTokenNanos when the first token arrived (0: none, or not streamed)
 * @param endNanos        when the response ended (0: never)
 * @param generatedTokens tokens generated, as the server counted them (events counted when it did not say)
 * @param promptTokens    prompt tokens, as the server counted them (0 when it did not say)
 */
public record RequestOutcome(String adapter, boolean warmup, Result result, String reason, long scheduledNanos,
    long sentNanos, long firstTokenNanos, long endNanos, int generatedTokens, int promptTokens) {

  /** The three ways a request ends. */
  public enum Result { OK, FAILED, NOT_STARTED }

  public static RequestOutcome notStarted(String adapter, boolean warmup, String reason, long scheduledNanos) {
    return new RequestOutcome(adapter, warmup, Result.NOT_STARTED, reason, scheduledNanos, 0, 0, 0, 0, 0);
  }
}
