package io.lorafleet.actors.tenants;

import io.lorafleet.runtime.errors.LoraFleetException;

/** A tenant's request over one of its limits (429 with {@code Retry-After}). */
public final class QuotaExceededException extends LoraFleetException {
  private final String limit;
  private final int retryAfterSeconds;

  /**
   * @param limit             the limit's name: {@code requests_per_second}, {@code tokens_per_minute},
   *                          {@code max_concurrent} or {@code max_kv_blocks}
   * @param retryAfterSeconds when a retry may succeed (at least 1)
   */
  public QuotaExceededException(String limit, String message, int retryAfterSeconds) {
    super(message);
    this.limit = limit;
    this.retryAfterSeconds = Math.max(1, retryAfterSeconds);
  }

  public String limit() {
    return limit;
  }

  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }

  @Override
  public String errorType() {
    return "quota_exceeded";
  }
}
