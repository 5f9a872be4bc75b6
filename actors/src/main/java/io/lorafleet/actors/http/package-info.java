/**
 * The HTTP API (Pekko HTTP Java DSL): LoRAX-compatible {@code /generate}, {@code /generate_stream},
 * {@code /info}, {@code /health}; OpenAI-compatible {@code /v1/completions}, {@code /v1/chat/completions},
 * {@code /v1/models}; the bearer-token {@code /admin} API; {@code /metrics}.
 *
 * <p>A generation request goes: route ({@link io.lorafleet.actors.http.HttpApi}) → the API's codec parses
 * the body into a checked request record ({@link io.lorafleet.actors.http.OpenAiCodec},
 * {@link io.lorafleet.actors.http.LoraxCodec}; the API fields become engine inputs in one place, {@link
 * io.lorafleet.actors.http.RequestMapping}, into a {@link io.lorafleet.actors.http.GenerationRequest}) → the
 * {@link io.lorafleet.actors.http.GenerationGateway} runs it on this node or another (the same pipeline,
 * {@code routing.ServedGeneration}) → the codec renders the events (JSON or Server-Sent Events). Route
 * handlers ({@code OpenAiApi}, {@code LoraxApi}) only connect the three. A request is checked once: its
 * sampling parameters when they are made, the rest by the engine when it is submitted. Every error becomes
 * a JSON body in one place ({@link io.lorafleet.actors.http.ErrorMapping}), also inside streams. Admitted
 * generations are tracked in {@link io.lorafleet.actors.http.InFlightGenerations}, which a drain uses to
 * stop admitting (503, {@code /health} 503), wait for them, and end the rest with an error event.
 *
 * <p>The output-constraint fields of both APIs ({@code response_format}, {@code guided_*}, {@code grammar})
 * are read by {@link io.lorafleet.actors.http.OutputConstraintFields} into {@code SamplingParams.constraint()};
 * a constraint that cannot be honoured is a {@code ConstraintException} (422).
 *
 * <p>Bounds for unauthenticated callers: bodies are parsed on their own dispatcher ({@link
 * io.lorafleet.actors.http.HttpApi#PARSING_DISPATCHER}); prompt plus {@code max_new_tokens} is checked against
 * the context before anything is sized from it, and adapter ids before anything is touched for them ({@link
 * io.lorafleet.actors.http.RequestMapping}); every connection is a {@link
 * io.lorafleet.actors.http.ClientConnection} whose close cancels its generations (streaming or not); the
 * gateway cuts a generation at the node's generation timeout; a 500 shows a reference, never the exception.
 */
package io.lorafleet.actors.http;
