package io.lorafleet.actors.http;

import io.lorafleet.actors.adapters.AdapterDescriptions;
import io.lorafleet.actors.tenants.Caller;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.stream.javadsl.Flow;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;

/** The node's route tree: every endpoint, body limits, JSON errors and request counting. */
public final class HttpApi extends AllDirectives {
  private static final long BODY_TIMEOUT_MILLIS = 30_000;
  private static final ContentType PROMETHEUS_TEXT = ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");

  /** Dispatcher for parsing request bodies (see reference.conf). */
  public static final String PARSING_DISPATCHER = "lorafleet.request-parsing-dispatcher";

  private final NodeHandles node;
  private final Executor parsing;
  private final LoraxApi lorax;
  private final OpenAiApi openAi;
  private final AdminApi admin;
  private final ClusterAdminApi clusterAdmin;

  public HttpApi(NodeHandles node) {
    this.node = node;
    this.parsing = node.system().dispatchers().lookup(DispatcherSelector.fromConfig(PARSING_DISPATCHER));
    TenantAdmission gateway = new TenantAdmission(node, new GenerationGateway(node));
    RequestMapping mapping = new RequestMapping(node);
    TokenTexts texts = new TokenTexts(node.model().tokenizer());
    AdapterDescriptions descriptions = new AdapterDescriptions();
    this.lorax = new LoraxApi(node, gateway, new LoraxCodec(mapping, texts), descriptions);
    this.openAi = new OpenAiApi(node, gateway, new OpenAiCodec(mapping, texts), descriptions);
    this.admin = new AdminApi(node);
    this.clusterAdmin = new ClusterAdminApi(node);
  }

  public Route route() {
    return handleExceptions(exceptions(), () -> handleRejections(rejections(), () -> concat(
        path("generate", () -> generation("/generate", false, lorax::generate)),
        path("generate_stream", () -> generation("/generate_stream", false, lorax::generateStream)),
        path("info", () -> get(() -> optionalHeaderValueByName("Authorization", auth ->
            withCaller("/info", false, () -> node.tenancy().optional(auth.orElse(null)),
                caller -> counted("/info", () -> lorax.info(caller)))))),
        path("health", () -> get(() -> counted("/health", () -> CompletableFuture.completedFuture(lorax.health())))),
        pathPrefix("v1", () -> concat(
            path("completions", () -> generation("/v1/completions", true,
                (b, c, caller) -> openAi.completions(b, false, c, caller))),
            path(PathMatchers.segment("chat").slash("completions"), () -> generation("/v1/chat/completions", true,
                (b, c, caller) -> openAi.completions(b, true, c, caller))),
            path("models", () -> get(() -> authenticated("/v1/models", true,
                caller -> counted("/v1/models", true, () -> openAi.models(caller))))))),
        pathPrefix("admin", this::adminRoutes),
        path("metrics", () -> get(() -> {
          node.metrics().httpRequest("/metrics", 200);
          return complete(HttpResponse.create().withEntity(
              org.apache.pekko.http.javadsl.model.HttpEntities.create(PROMETHEUS_TEXT,
                  node.metrics().scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8))));
        })))));
  }

  private Route adminRoutes() {
    return optionalHeaderValueByName("Authorization", auth -> concat(
        path("adapters", () -> concat(
            post(() -> authorized("/admin/adapters", auth, () -> jsonBody("/admin/adapters", admin::register))),
            get(() -> authorized("/admin/adapters", auth, () -> counted("/admin/adapters", admin::list))))),
        path(PathMatchers.segment("adapters").slash(PathMatchers.segment()), id ->
            delete(() -> authorized("/admin/adapters/{id}", auth,
                () -> counted("/admin/adapters/{id}", () -> admin.remove(id))))),
        path(PathMatchers.segment("adapters").slash(PathMatchers.segment()).slash("pin"), id ->
            post(() -> authorized("/admin/adapters/{id}/pin", auth,
                () -> counted("/admin/adapters/{id}/pin", () -> admin.pin(id, true))))),
        path(PathMatchers.segment("adapters").slash(PathMatchers.segment()).slash("unpin"), id ->
            post(() -> authorized("/admin/adapters/{id}/unpin", auth,
                () -> counted("/admin/adapters/{id}/unpin", () -> admin.pin(id, false))))),
        path("node", () -> get(() -> authorized("/admin/node", auth,
            () -> counted("/admin/node", admin::nodeStatus)))),
        path("cluster", () -> get(() -> authorized("/admin/cluster", auth,
            () -> counted("/admin/cluster", clusterAdmin::cluster)))),
        path("rebalance", () -> post(() -> authorized("/admin/rebalance", auth,
            () -> extractRequestEntity(entity -> entity.isKnownEmpty()
                ? counted("/admin/rebalance", () -> clusterAdmin.rebalance(RequestFields.parse("{}".getBytes(
                    java.nio.charset.StandardCharsets.UTF_8))))
                : jsonBody("/admin/rebalance", clusterAdmin::rebalance))))),
        path(PathMatchers.segment("adapters").slash(PathMatchers.segment()).slash("replicas"), id ->
            post(() -> authorized("/admin/adapters/{id}/replicas", auth,
                () -> jsonBody("/admin/adapters/{id}/replicas", b -> clusterAdmin.replicas(id, b))))),
        path(PathMatchers.segment("tenants").slash("keys"), () -> concat(
            post(() -> authorized("/admin/tenants/keys", auth, () -> jsonBody("/admin/tenants/keys", admin::issueKey))),
            get(() -> authorized("/admin/tenants/keys", auth, () -> counted("/admin/tenants/keys", admin::listKeys))))),
        path(PathMatchers.segment("tenants").slash("keys").slash(PathMatchers.segment()), id ->
            delete(() -> authorized("/admin/tenants/keys/{id}", auth,
                () -> counted("/admin/tenants/keys/{id}", () -> admin.revokeKey(id))))),
        path("tenants", () -> get(() -> authorized("/admin/tenants", auth,
            () -> counted("/admin/tenants", admin::tenants)))),
        path(PathMatchers.segment("nodes").slash(PathMatchers.segment()).slash("drain"), address ->
            post(() -> authorized("/admin/nodes/{address}/drain", auth,
                () -> counted("/admin/nodes/{address}/drain", () -> clusterAdmin.drain(address)))))));
  }

  private Route authorized(String name, java.util.Optional<String> authorization, Supplier<Route> inner) {
    try {
      admin.authenticate(authorization.orElse(null));
    } catch (AuthenticationException e) {
      HttpResponse r = ErrorMapping.toResponse(e);
      node.metrics().httpRequest(name, r.status().intValue());
      return complete(r);
    }
    return inner.get();
  }

  /** A generation endpoint's handler: the body, the client's connection and who sent it. */
  interface GenerationHandler {
    CompletionStage<HttpResponse> apply(RequestFields body, ClientConnection client, Caller caller);
  }

  /**
   * A generation endpoint: a JSON POST from an authenticated caller (any caller while API keys are off) whose
   * handler also gets the client's connection (its generation is cancelled when the connection closes).
   * {@code openAi}: API key and quota errors have the OpenAI API's error body.
   */
  private Route generation(String name, boolean openAi, GenerationHandler handler) {
    return post(() -> extractRequest(request -> {
      ClientConnection client = request.getAttribute(ClientConnection.KEY).orElse(ClientConnection.NONE);
      return authenticated(name, openAi, caller -> jsonBody(name, openAi, body -> handler.apply(body, client, caller)));
    }));
  }

  /** The caller by its API key ({@code Authorization: Bearer}); 401 without a valid one while keys are on. */
  private Route authenticated(String name, boolean openAi, Function<Caller, Route> inner) {
    return optionalHeaderValueByName("Authorization", auth ->
        withCaller(name, openAi, () -> node.tenancy().authenticate(auth.orElse(null)), inner));
  }

  private Route withCaller(String name, boolean openAi, Supplier<Caller> who, Function<Caller, Route> inner) {
    Caller caller;
    try {
      caller = who.get();
    } catch (RuntimeException e) {
      HttpResponse r = ErrorMapping.toResponse(e, openAi);
      node.metrics().httpRequest(name, r.status().intValue());
      return complete(r);
    }
    return inner.apply(caller);
  }

  /**
   * Wraps the routes for one connection at a time ({@code bindFlow}): each request carries its {@link
   * ClientConnection}, which closes when the connection's request stream ends (the client went away).
   */
  public Flow<HttpRequest, HttpResponse, NotUsed> connectionFlow() {
    Flow<HttpRequest, HttpResponse, NotUsed> routes = route().flow(node.system());
    return Flow.<HttpRequest, HttpResponse, NotUsed>fromMaterializer((mat, attributes) -> {
      ClientConnection connection = new ClientConnection();
      return Flow.of(HttpRequest.class)
          .watchTermination((notUsed, done) -> {
            done.whenComplete((d, err) -> connection.close());
            return notUsed;
          })
          .map(r -> r.addAttribute(ClientConnection.KEY, connection))
          .via(routes);
    }).mapMaterializedValue(f -> NotUsed.getInstance());
  }

  /** Reads the body (at most {@code maxBodyBytes}: else 413), parses it as a JSON object and runs {@code handler}. */
  private Route jsonBody(String name, Function<RequestFields, CompletionStage<HttpResponse>> handler) {
    return jsonBody(name, false, handler);
  }

  private Route jsonBody(String name, boolean openAi, Function<RequestFields, CompletionStage<HttpResponse>> handler) {
    return extractRequestEntity(entity -> extractMaterializer(mat -> counted(name, openAi, () -> {
      if (entity.getContentLengthOption().isPresent()
          && entity.getContentLengthOption().getAsLong() > node.maxBodyBytes()) {
        entity.discardBytes(mat);
        throw new EntityStreamSizeException(node.maxBodyBytes(), scala.Option.apply(null));
      }
      // Parsing (JSON, tokenizing, compiling an output constraint) is CPU work of up to seconds: it runs on
      // its own small dispatcher, never on Pekko's default one.
      return entity.toStrict(BODY_TIMEOUT_MILLIS, node.maxBodyBytes(), mat)
          .thenComposeAsync(strict -> handler.apply(RequestFields.parse(strict.getData().toArray())), parsing);
    })));
  }

  /** Completes with the handler's response or the mapped error, and counts it by route and status. */
  private Route counted(String name, Supplier<CompletionStage<HttpResponse>> handler) {
    return counted(name, false, handler);
  }

  /** As {@link #counted(String, Supplier)}; {@code openAi}: API key and quota errors in the OpenAI API's body. */
  private Route counted(String name, boolean openAi, Supplier<CompletionStage<HttpResponse>> handler) {
    CompletionStage<HttpResponse> f;
    try {
      f = handler.get();
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    return completeWithFuture(f.exceptionally(t -> ErrorMapping.toResponse(t, openAi)).thenApply(r -> {
      node.metrics().httpRequest(name, r.status().intValue());
      return r;
    }));
  }

  private ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder().matchAny(t -> complete(ErrorMapping.toResponse(t))).build();
  }

  /** Pekko's standard rejections (404, 405, ...) with the JSON error body. */
  private RejectionHandler rejections() {
    return RejectionHandler.defaultHandler().mapRejectionResponse(resp -> {
      if (resp.entity() instanceof HttpEntity.Strict strict
          && !strict.getContentType().equals(ContentTypes.APPLICATION_JSON)) {
        int status = resp.status().intValue();
        ObjectNode body = ErrorMapping.body(new ErrorMapping.Problem(status,
            status == 404 ? "not_found" : status == 405 ? "method_not_allowed" : "invalid_request",
            strict.getData().utf8String()));
        return resp.withEntity(ContentTypes.APPLICATION_JSON, HttpResponses.write(body));
      }
      return resp;
    });
  }
}
