package io.lorafleet.runtime.backend;

/**
 * Options common to backends.
 *
 * @param threads     CPU worker threads (0: all cores)
 * @param deviceIndex GPU ordinal for device backends
 */
public record BackendOptions(int threads, int deviceIndex) {
  public static final BackendOptions DEFAULTS = new BackendOptions(0, 0);

  public int resolvedThreads() {
    return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
  }
}
