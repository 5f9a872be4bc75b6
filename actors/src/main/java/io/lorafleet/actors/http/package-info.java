/**
 * The HTTP API (Pekko HTTP Java DSL): LoRAX-compatible {@code /generate}, {@code /generate_stream},
 * {@code /info}, {@code /health}; OpenAI-compatible {@code /v1/completions}, {@code /v1/chat/completions},
 * {@code /v1/models}; the bearer-token {@code /admin} API; {@code /metrics}. Parsing and validation happen
 * here; every error becomes a JSON body in one place ({@link io.lorafleet.actors.http.ErrorMapping}). The
 * output-constraint fields of both APIs ({@code response_format}, {@code guided_*}, {@code grammar}) are read
 * by {@link io.lorafleet.actors.http.OutputConstraintFields} into {@code SamplingParams.constraint()}; a
 * constraint that cannot be honoured is a {@code ConstraintException} (422).
 */
package io.lorafleet.actors.http;
