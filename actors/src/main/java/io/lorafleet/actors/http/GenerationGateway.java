package io.lorafleet.actors.http;

import io.lorafleet.actors.batch.GenerationEvent;
import io.lorafleet.actors.routing.FleetView;
import io.lorafleet.actors.routing.GenerationRouter;
import io.lorafleet.actors.routing.GenerationService;
import io.lorafleet.actors.routing.NodeFailedException;
import io.lorafleet.actors.routing.RequestRelay;
import io.lorafleet.runtime.engine.SamplingParams;
import io.lorafleet.runtime.errors.OverloadedException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.japi.pf.PFBuilder;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;

/**
 * Runs one generation for the HTTP layer: on this node (through its generation service's pipeline, which
 * leases the adapter, submits to the batch builder and streams the events back) or, when the fleet view
 * routes it elsewhere, through a relay to another node's same pipeline; hands back the token stream. A
 * stream cancelled before its end (the client went away) cancels the request in the engine. Every admitted
 * generation is tracked in {@link InFlightGenerations} (a drain stops admitting, waits for them, and at its
 * deadline ends them with an error event). Latency
 * metrics are taken here, off the engine thread.
 */
final class GenerationGateway {
  private static final Duration ROUTE_TIMEOUT = Duration.ofSeconds(5);
  /** Nodes a relayed request is tried on at most. */
  private static final int MAX_ATTEMPTS = 3;
  private static final AtomicLong SEQ = new AtomicLong();
  /** Event buffers up to this size are preallocated; larger ones grow as events arrive. */
  private static final int FIXED_BUFFER = 64;

  private final NodeHandles node;

  GenerationGateway(NodeHandles node) {
    this.node = node;
  }

  /** An admitted request and its events (tokens, then finished or failed). */
  record Generation(String requestId, Source<GenerationEvent, NotUsed> events) {

    /** The tokens and result once the request ended; a failed request fails the stage with its error. */
    CompletionStage<CompletedGeneration> completed(ActorSystem<?> system) {
      return events.runWith(Sink.seq(), system).thenApply(CompletedGeneration::of);
    }
  }

  static String newRequestId() {
    return Long.toString(SEQ.incrementAndGet(), 36) + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
  }

  /**
   * Starts a generation on the node the fleet view chooses: this one (its {@link GenerationService}) or
   * another one through a {@link RequestRelay}, which retries elsewhere if that node fails. {@code
   * streaming}: whether the caller streams tokens to its client as they come (a non-streaming request can
   * be retried even after its first tokens).
   */
  CompletionStage<Generation> start(GenerationRequest request, ClientConnection client) {
    long arrival = System.nanoTime();
    if (!InFlightGenerations.get(node.system()).admitting()) {
      return CompletableFuture.failedStage(new OverloadedException("this node is shutting down; retry on another node"));
    }
    CompletionStage<FleetView.RouteDecision> route = AskPattern.ask(node.fleet().view(),
        replyTo -> new FleetView.Route(request.adapter().id(), Set.of(), replyTo), ROUTE_TIMEOUT,
        node.system().scheduler());
    return route.thenCompose(d -> {
      if (d.local()) {
        node.metrics().routed("local");
        return local(d.service(), request, arrival, client);
      }
      if (d.node() == null) {
        throw new CompletionException(new NodeFailedException("no serving node is available; retry later"));
      }
      return relayed(request, arrival, client);
    });
  }

  private CompletionStage<Generation> local(ActorRef<GenerationService.Command> service, GenerationRequest request,
      long arrival, ClientConnection client) {
    String requestId = newRequestId();
    AdapterChoice adapter = request.adapter();
    Pair<ActorRef<GenerationEvent>, Source<GenerationEvent, NotUsed>> source = eventSource(request.params());
    Runnable cancel = () -> service.tell(new GenerationService.Cancel(requestId, GenerationService.LOCAL_ATTEMPT));
    // The pipeline answers within its own adapter and submit timeouts; this one only guards against a lost answer.
    Duration answer = node.adapterWaitTimeout().plus(GenerationService.SUBMIT_TIMEOUT).plusSeconds(5);
    CompletionStage<GenerationService.Admission> admitted = AskPattern.ask(service,
        replyTo -> new GenerationService.Serve(requestId, request.prompt(), adapter.id(), adapter.autoSource(),
            request.params(), request.effectivePriority(), source.first(), replyTo), answer, node.system().scheduler());
    Admitting admitting = new Admitting(source.first());
    // Watched only once Serve is on its way, so that a Cancel (at once, if the client already left) cannot
    // overtake it. A client that leaves (also before the engine admitted the request: its adapter may still
    // be loading) cancels the generation and ends its events; the watch ends with the response's event stream.
    Runnable unwatch = client.onClose(() -> {
      cancel.run();
      admitting.clientGone();
    });
    admitted.whenComplete((r, err) -> admitting.answered(() -> {
      if (err != null) {
        unwatch.run();
        cancel.run();
        throw new CompletionException(err);
      }
      return switch (r) {
        case GenerationService.Admitted a ->
            new Generation(requestId, observed(source.second(), arrival, cancel, unwatch, admitting.gone));
        case GenerationService.NotAdmitted n -> {
          unwatch.run();
          throw new CompletionException(n.error());
        }
      };
    }));
    return admitting.result;
  }

  private CompletionStage<Generation> relayed(GenerationRequest request, long arrival, ClientConnection client) {
    String requestId = newRequestId();
    AdapterChoice adapter = request.adapter();
    SamplingParams params = request.params();
    Duration ack = node.adapterWaitTimeout().plusSeconds(10);
    ActorRef<GenerationRouter.Command> router = node.fleet().router();
    CompletionStage<RequestRelay.Admission> admitted = AskPattern.ask(router,
        replyTo -> new GenerationRouter.Relay(new RequestRelay.Request(requestId, adapter.id(), adapter.autoSource(),
            request.prompt(), params, request.effectivePriority(), request.streaming(), replyTo, MAX_ATTEMPTS, ack)),
        ack.multipliedBy(MAX_ATTEMPTS).plusSeconds(10), node.system().scheduler());
    // Through the router by request id: the relay is reached also before the serving node admitted the
    // request (while it loads the adapter), and the cancel travels on to that node at once.
    Runnable cancel = () -> router.tell(new GenerationRouter.Cancel(requestId));
    Admitting admitting = new Admitting(null);
    Runnable unwatch = client.onClose(() -> {
      cancel.run();
      admitting.clientGone();
    });
    admitted.whenComplete((r, err) -> admitting.answered(() -> {
      if (err != null) {
        unwatch.run();
        cancel.run();
        throw new CompletionException(err);
      }
      return switch (r) {
        case RequestRelay.Admitted a -> {
          // Materialized when the response runs: the relay keeps the events until then.
          Source<GenerationEvent, NotUsed> events = boundedEvents(params)
              .mapMaterializedValue(ref -> {
                a.relay().tell(new RequestRelay.Attach(ref));
                return NotUsed.getInstance();
              });
          yield new Generation(requestId, observed(events, arrival, cancel, unwatch, admitting.gone));
        }
        case RequestRelay.NotAdmitted n -> {
          unwatch.run();
          throw new CompletionException(n.error());
        }
      };
    }));
    return admitting.result;
  }

  /**
   * The race between a generation's admission answer and its client's departure: whichever comes first
   * decides the request's result. A client gone before the answer ends the request at once (no wait for an
   * adapter load or an admission that nobody will read), and the late answer then only cleans up.
   */
  private static final class Admitting {
    final CompletableFuture<Generation> result = new CompletableFuture<>();
    /** Completes when the client left. */
    final CompletableFuture<Done> gone = new CompletableFuture<>();
    /** The pre-materialized events of a local generation, ended when the client leaves first (or null). */
    private final ActorRef<GenerationEvent> events;

    Admitting(ActorRef<GenerationEvent> events) {
      this.events = events;
    }

    synchronized void clientGone() {
      gone.complete(Done.getInstance());
      if (result.completeExceptionally(new ClientGoneException()) && events != null) {
        events.tell(GenerationEvent.End.INSTANCE);
      }
    }

    /** Decides the result from the answer unless the client left first. */
    synchronized void answered(Supplier<Generation> decide) {
      if (result.isDone()) {
        return; // the client left first: the generation was cancelled already
      }
      try {
        result.complete(decide.get());
      } catch (CompletionException e) {
        if (events != null) {
          events.tell(GenerationEvent.End.INSTANCE);
        }
        result.completeExceptionally(e.getCause());
      }
    }
  }

  private Pair<ActorRef<GenerationEvent>, Source<GenerationEvent, NotUsed>> eventSource(SamplingParams params) {
    return boundedEvents(params).preMaterialize(node.system());
  }

  /**
   * The events of one generation: at most its tokens, a result and the end (the codecs checked {@code
   * maxNewTokens} against the context before this). The buffer is not allocated up front (Pekko would
   * preallocate a fixed buffer of that size): it grows only with events the client has not read yet. The
   * engine cannot pause a sequence for a slow reader, so this bound, not back-pressure, is what caps the
   * memory of one request.
   */
  private static Source<GenerationEvent, ActorRef<GenerationEvent>> boundedEvents(SamplingParams params) {
    int buffer = params.maxNewTokens() + 8;
    return ActorSource.<GenerationEvent>actorRef(e -> e == GenerationEvent.End.INSTANCE, e -> Optional.empty(), buffer,
        OverflowStrategy.fail()).withAttributes(ActorAttributes.maxFixedBufferSize(FIXED_BUFFER));
  }

  /**
   * The events as the response sees them: metrics taken, cancelled in the engine when the response stops
   * reading before the end (client gone) and ended with a timeout error past the node's generation timeout.
   */
  private Source<GenerationEvent, NotUsed> observed(Source<GenerationEvent, NotUsed> admitted, long arrival,
      Runnable cancel, Runnable unwatch, CompletionStage<Done> gone) {
    Source<GenerationEvent, NotUsed> events = InFlightGenerations.get(node.system()).track(admitted, cancel);
    AtomicBoolean ended = new AtomicBoolean();
    long[] last = {0};
    Duration deadline = node.generationTimeout();
    // The client's departure ends the events too (a cancelled pipeline sends nothing more).
    Source<GenerationEvent, NotUsed> goneEvent = Source.completionStage(gone)
        .map(d -> (GenerationEvent) new GenerationEvent.Failed(new ClientGoneException()));
    return events.merge(goneEvent, true)
        .completionTimeout(deadline).recover(new PFBuilder<Throwable, GenerationEvent>()
        .match(TimeoutException.class, t -> {
          cancel.run();
          return new GenerationEvent.Failed(new GenerationTimeoutException("the generation did not finish within"
              + " this node's generation timeout of " + deadline.toSeconds() + " s (lorafleet.http.generation-timeout)"));
        })
        .build()).map(e -> {
      switch (e) {
        case GenerationEvent.Token t -> {
          if (last[0] == 0) {
            node.metrics().timeToFirstToken((t.nanos() - arrival) / 1e9);
          } else {
            node.metrics().interTokenLatency((t.nanos() - last[0]) / 1e9);
          }
          last[0] = t.nanos();
        }
        case GenerationEvent.Finished f -> {
          ended.set(true);
          node.metrics().endToEnd((System.nanoTime() - arrival) / 1e9);
          node.metrics().finished(f.result().finishReason().wireName());
        }
        case GenerationEvent.Failed f -> {
          ended.set(true);
          node.metrics().finished(f.error() instanceof ClientGoneException ? "cancelled" : "error");
        }
        default -> { }
      }
      return e;
    }).watchTermination((notUsed, done) -> {
      done.whenComplete((d, err) -> {
        unwatch.run();
        if (!ended.get()) {
          cancel.run();
          node.metrics().finished("cancelled");
        }
      });
      return notUsed;
    });
  }
}
