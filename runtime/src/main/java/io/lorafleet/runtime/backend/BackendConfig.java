package io.lorafleet.runtime.backend;

/**
 * What every backend is constructed with.
 *
 * @param threads     CPU worker threads (0: all cores)
 * @param deviceIndex GPU ordinal for device backends
 */
public record BackendConfig(int threads, int deviceIndex) {
  public static final BackendConfig DEFAULTS = new BackendConfig(0, 0);

  public int resolvedThreads() {
    return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
  }
}
