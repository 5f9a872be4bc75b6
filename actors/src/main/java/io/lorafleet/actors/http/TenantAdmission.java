package io.lorafleet.actors.http;

import io.lorafleet.actors.adapters.AdapterEntity;
import io.lorafleet.actors.adapters.AdapterRegistry;
import io.lorafleet.actors.batch.GenerationEvent;
import io.lorafleet.actors.tenants.Admission;
import io.lorafleet.actors.tenants.Caller;
import io.lorafleet.runtime.engine.PriorityClass;
import io.lorafleet.runtime.errors.NotFoundException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A tenant's generation, before and around the {@link GenerationGateway}: the adapter it names must be public or
 * its own (else 404, exactly as an unknown adapter: another tenant's adapter is never confirmed to exist); an
 * adapter it names by source is registered on first use as its own; its tenant's quota must admit it (429), and
 * the admission is held until the generation's events end (or a safety timer past the node's timeouts, for a
 * response whose events never run); its tenant's default priority class is the most urgent class it may run in
 * (a request's {@code priority} can only lower it). An open caller (API keys off) goes straight to the gateway.
 */
final class TenantAdmission {
  private static final Duration LOOKUP = Duration.ofSeconds(5);

  private final NodeHandles node;
  private final GenerationGateway gateway;

  TenantAdmission(NodeHandles node, GenerationGateway gateway) {
    this.node = node;
    this.gateway = gateway;
  }

  CompletionStage<GenerationGateway.Generation> start(Caller caller, GenerationRequest request,
      ClientConnection client) {
    if (caller.open()) {
      return gateway.start(request, client);
    }
    // The tenant's default class is its ceiling: a request may ask for a less urgent class, never a more urgent one.
    GenerationRequest classed = request.withPriority(PriorityClass.resolve(request.priority(),
        node.tenancy().defaultPriority(caller)));
    return admit(caller, classed, client);
  }

  private CompletionStage<GenerationGateway.Generation> admit(Caller caller, GenerationRequest request,
      ClientConnection client) {
    return checkAdapter(caller, request.adapter()).thenCompose(x -> {
      Admission a = node.tenancy().admit(caller, request.prompt().length, request.params().maxNewTokens(),
          node.model().engine().config().blockSize());
      CompletionStage<GenerationGateway.Generation> started;
      try {
        started = gateway.start(request, client);
      } catch (RuntimeException e) {
        a.release();
        throw e;
      }
      return started.handle((g, err) -> {
        if (err != null) {
          a.release();
          throw new CompletionException(ErrorMapping.unwrap(err));
        }
        return held(g, a);
      });
    });
  }

  /** The "unknown adapter" answer, the same for an adapter that is not registered and one the caller may not see. */
  static NotFoundException unknown(String id) {
    return new NotFoundException("unknown adapter " + id + " (not registered; see GET /v1/models)");
  }

  /** Completes when {@code caller} may use the adapter {@code choice} names (or it is unknown: the store says so). */
  private CompletionStage<Void> checkAdapter(Caller caller, AdapterChoice choice) {
    if (choice.id() == null) {
      return CompletableFuture.completedFuture(null);
    }
    return AdapterRegistry.lookup(node.system(), choice.id(), LOOKUP).thenCompose(reg -> {
      if (reg != null) {
        if (!caller.sees(reg.owner())) {
          throw new CompletionException(unknown(choice.id()));
        }
        return CompletableFuture.completedFuture(null);
      }
      if (choice.autoSource() == null) {
        return CompletableFuture.completedFuture(null);
      }
      // Named by its source and not registered yet: registered now as the tenant's own (dropped again if it
      // fails to load), before the request runs.
      CompletionStage<AdapterEntity.RegisterResult> r = ClusterSharding.get(node.system())
          .entityRefFor(AdapterEntity.TYPE_KEY, choice.id())
          .ask(replyTo -> new AdapterEntity.Register(choice.autoSource(), caller.tenant(), true, replyTo), LOOKUP);
      return r.thenApply(res -> {
        if (res.conflict() != null || !caller.sees(res.owner())) {
          throw new CompletionException(unknown(choice.id()));
        }
        return null;
      });
    });
  }

  /** The generation's events, holding the admission until they end and counting the tokens they carry. */
  private GenerationGateway.Generation held(GenerationGateway.Generation g, Admission a) {
    int[] tokens = {0};
    // Safety: a response whose events never run (its connection closed before) still frees its share. Cancelled
    // when the events end, so that no admission stays referenced by the scheduler for minutes.
    Duration safety = node.adapterWaitTimeout().plus(node.generationTimeout()).plusSeconds(60);
    Cancellable timer = node.system().scheduler().scheduleOnce(safety, a::release, node.system().executionContext());
    Source<GenerationEvent, NotUsed> events = g.events().map(e -> {
      switch (e) {
        case GenerationEvent.Token t -> {
          if (tokens[0]++ == 0) {
            a.firstToken(System.nanoTime());
          }
        }
        case GenerationEvent.Finished f -> a.generated(f.result().tokenIds().length);
        default -> { }
      }
      return e;
    }).watchTermination((notUsed, done) -> {
      done.whenComplete((d, err) -> {
        timer.cancel();
        a.generated(tokens[0]);
        a.release();
      });
      return notUsed;
    });
    return new GenerationGateway.Generation(g.requestId(), events);
  }
}
