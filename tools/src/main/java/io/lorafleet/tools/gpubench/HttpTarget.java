package io.lorafleet.tools.gpubench;

import io.lorafleet.tools.client.GenerationClient;
import io.lorafleet.tools.client.RequestOutcome;
import io.lorafleet.tools.client.ServingApi;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * A {@code lorafleet serve} node over HTTP through the tools' {@link GenerationClient}: LoRAX's {@code POST
 * /generate} (not streamed) with the prompt as the synthetic tokenizer's words, the adapter by its registered
 * name, {@code details} on so that the response says how many tokens the server counted. A request's latency
 * is the client's wall time from sending to the whole response. HTTP/1.1 with keep-alive.
 */
final class HttpTarget implements Target {
  private final GenerationClient client;
  private final List<String> adapterNames;
  private final Duration timeout;

  HttpTarget(URI base, List<String> adapterNames, Duration timeout) {
    this.client = new GenerationClient(base, Duration.ofSeconds(10));
    this.adapterNames = List.copyOf(adapterNames);
    this.timeout = timeout;
  }

  GenerationClient client() {
    return client;
  }

  @Override
  public Completion generate(String requestId, int adapter, int[] prompt, int newTokens) {
    RequestOutcome o = client.send(ServingApi.LORAX, false, adapterNames.get(adapter), Prompts.text(prompt), newTokens,
        timeout, false, System.nanoTime()).outcome().join();
    if (o.result() != RequestOutcome.Result.OK) {
      String why = o.reason() != null && o.reason().matches("\\d+") ? "HTTP " + o.reason() : o.reason();
      throw new IllegalStateException("request " + requestId + " to " + client.base() + "/generate failed: " + why);
    }
    return new Completion((o.endNanos() - o.sentNanos()) / 1e6, o.promptTokens(), o.generatedTokens());
  }

  @Override
  public void close() {
    client.close();
  }
}
