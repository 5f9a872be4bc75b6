/**
 * The one HTTP client the tools drive a running {@code lorafleet serve} with:
 * {@link io.lorafleet.tools.client.GenerationClient} sends generation requests through LoRAX's or OpenAI's API
 * ({@link io.lorafleet.tools.client.ServingApi}), streamed or not, follows each response as it arrives
 * ({@link io.lorafleet.tools.client.ExchangeRecorder}) into a {@link io.lorafleet.tools.client.RequestOutcome}
 * (status, time to first token, end, the server's token counts), and reads {@code /metrics}
 * ({@link io.lorafleet.tools.client.MetricsScrape}), {@code /v1/models}, {@code /info} and {@code /health}.
 * Used open loop by {@code loadtest} and closed loop by {@code gpu-bench http}.
 */
package io.lorafleet.tools.client;
