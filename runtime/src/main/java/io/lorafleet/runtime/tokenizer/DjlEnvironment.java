package io.lorafleet.runtime.tokenizer;

/**
 * Keeps DJL from reaching the network. DJL reads {@code ai.djl.offline} (unless the environment variable
 * {@code DJL_OFFLINE} is set, which wins) and {@code OPT_OUT_TRACKING} (environment variable first, then
 * the system property of the same name) through {@code ai.djl.util.Utils}; both are read lazily, when a
 * tokenizer is created, so setting them here before the first DJL class is used is enough. Offline mode
 * also stops DJL from downloading a CUDA build of its native library when it sees a GPU: it extracts the
 * CPU build that ships in the jar.
 */
final class DjlEnvironment {
  static final String OFFLINE_PROPERTY = "ai.djl.offline";
  static final String TRACKING_OPT_OUT = "OPT_OUT_TRACKING";

  private DjlEnvironment() {}

  /** Sets the offline and tracking opt-out system properties unless they are already set. */
  static void keepOffline() {
    if (System.getProperty(OFFLINE_PROPERTY) == null) {
      System.setProperty(OFFLINE_PROPERTY, "true");
    }
    if (System.getenv(TRACKING_OPT_OUT) == null && System.getProperty(TRACKING_OPT_OUT) == null) {
      System.setProperty(TRACKING_OPT_OUT, "true");
    }
  }
}
