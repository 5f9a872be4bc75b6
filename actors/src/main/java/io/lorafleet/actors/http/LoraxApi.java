package io.lorafleet.actors.http;

import io.lorafleet.actors.adapters.AdapterDescriptions;
import io.lorafleet.actors.adapters.AdapterRegistry;
import io.lorafleet.actors.tenants.Caller;
import io.lorafleet.runtime.errors.OverloadedException;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * LoRAX-compatible endpoints ({@code POST /generate}, {@code POST /generate_stream}, {@code GET /info},
 * {@code GET /health}) with LoRAX's request parameters and response fields. The handlers only run requests:
 * {@link LoraxCodec} parses and renders, {@link GenerationGateway} runs.
 */
final class LoraxApi {
  private final NodeHandles node;
  private final TenantAdmission gateway;
  private final LoraxCodec codec;
  private final AdapterDescriptions descriptions;

  LoraxApi(NodeHandles node, TenantAdmission gateway, LoraxCodec codec, AdapterDescriptions descriptions) {
    this.node = node;
    this.descriptions = descriptions;
    this.gateway = gateway;
    this.codec = codec;
  }

  CompletionStage<HttpResponse> generate(RequestFields body, ClientConnection client, Caller caller) {
    LoraxCodec.Request r = codec.parse(body, false);
    return gateway.start(caller, r.generation(), client)
        .thenCompose(g -> g.completed(node.system()))
        .thenApply(done -> HttpResponses.json(codec.generated(r, done)));
  }

  CompletionStage<HttpResponse> generateStream(RequestFields body, ClientConnection client, Caller caller) {
    LoraxCodec.Request r = codec.parse(body, true);
    return gateway.start(caller, r.generation(), client).thenApply(g -> HttpResponses.eventStream(codec.events(r, g.events())));
  }

  /** {@code GET /info}, listing the adapters {@code caller} may see. */
  CompletionStage<HttpResponse> info(Caller caller) {
    return AdapterRegistry.snapshot(node.system(), Duration.ofSeconds(3)).thenApply(all -> {
      var adapters = OpenAiApi.visible(all, caller);
      return HttpResponses.json(codec.info(adapters, descriptions.of(adapters), node.model().engine().config(),
          node.model().engine().stats(), node.model().backend().name()));
    });
  }

  /** 200 while the node admits generations; 503 once it drains (load balancers stop sending it requests). */
  HttpResponse health() {
    if (!InFlightGenerations.get(node.system()).admitting()) {
      return ErrorMapping.toResponse(new OverloadedException("this node is shutting down"));
    }
    return HttpResponses.json(LoraxCodec.health());
  }
}
