package io.lorafleet.tools.gpubench;

/**
 * A system that serves generation requests, one call per request; calls may come from many threads at
 * once. {@link EngineTarget} is the engine in this process, {@link HttpTarget} a server over HTTP.
 */
interface Target extends AutoCloseable {
  /**
   * One finished request.
   *
   * @param millis          from just before the request was handed over to its last token
   * @param promptTokens    prompt tokens as the system counted them
   * @param generatedTokens tokens generated
   */
  record Completion(double millis, int promptTokens, int generatedTokens) {}

  /**
   * Runs one request to the end: {@code prompt} (ids, BOS first) with adapter {@code adapter} (an index into
   * the manifest's adapters), generating exactly {@code newTokens} tokens (end-of-sequence ignored).
   */
  Completion generate(String requestId, int adapter, int[] prompt, int newTokens);

  @Override
  default void close() {}
}
