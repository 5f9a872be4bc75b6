package io.lorafleet.actors.http;

import io.lorafleet.actors.adapters.AdapterDescriptions;
import io.lorafleet.actors.adapters.AdapterRegistry;
import io.lorafleet.actors.adapters.RegisteredAdapter;
import io.lorafleet.actors.tenants.Caller;
import java.util.Map;
import java.util.TreeMap;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * OpenAI-compatible endpoints: {@code POST /v1/completions}, {@code POST /v1/chat/completions} (the
 * model's chat template), both streaming with {@code "stream": true} ({@code data: [DONE]} at the end), and
 * {@code GET /v1/models}. The {@code model} field names an adapter or the base model. Also accepted: vLLM's
 * extensions {@code ignore_eos}, {@code top_k}, {@code repetition_penalty}, {@code skip_special_tokens},
 * {@code return_tokens_as_token_ids}. The handlers only run requests: {@link OpenAiCodec} parses and
 * renders, {@link GenerationGateway} runs.
 */
final class OpenAiApi {
  private final NodeHandles node;
  private final TenantAdmission gateway;
  private final OpenAiCodec codec;
  private final AdapterDescriptions descriptions;

  OpenAiApi(NodeHandles node, TenantAdmission gateway, OpenAiCodec codec, AdapterDescriptions descriptions) {
    this.node = node;
    this.descriptions = descriptions;
    this.gateway = gateway;
    this.codec = codec;
  }

  CompletionStage<HttpResponse> completions(RequestFields body, boolean chat, ClientConnection client,
      Caller caller) {
    OpenAiCodec.Request r = codec.parse(body, chat);
    long created = System.currentTimeMillis() / 1000;
    return gateway.start(caller, r.generation(), client).thenCompose(g -> {
      String id = r.responseId(g.requestId());
      if (r.stream()) {
        return CompletableFuture.completedFuture(HttpResponses.eventStream(codec.chunks(r, g.events(), id, created)));
      }
      return g.completed(node.system()).thenApply(done -> HttpResponses.json(codec.completion(r, id, created, done)));
    });
  }

  /** The base model and the adapters {@code caller} may see (its own and public ones; all with keys off). */
  CompletionStage<HttpResponse> models(Caller caller) {
    return AdapterRegistry.snapshot(node.system(), Duration.ofSeconds(3))
        .thenApply(all -> {
          Map<String, RegisteredAdapter> adapters = visible(all, caller);
          return HttpResponses.json(codec.models(adapters, descriptions.of(adapters),
              System.currentTimeMillis() / 1000));
        });
  }

  /** The adapters of {@code all} that {@code caller} may see, in their order. */
  static Map<String, RegisteredAdapter> visible(Map<String, RegisteredAdapter> all, Caller caller) {
    if (caller.open()) {
      return all;
    }
    Map<String, RegisteredAdapter> out = new TreeMap<>();
    all.forEach((id, reg) -> {
      if (caller.sees(reg.owner())) {
        out.put(id, reg);
      }
    });
    return out;
  }
}
