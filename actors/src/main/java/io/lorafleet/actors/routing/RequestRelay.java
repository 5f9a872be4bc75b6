package io.lorafleet.actors.routing;

import io.lorafleet.actors.batch.GenerationEvent;
import io.lorafleet.actors.metrics.ServerMetrics;
import io.lorafleet.runtime.engine.PriorityClass;
import io.lorafleet.runtime.engine.SamplingParams;
import io.lorafleet.runtime.errors.LoraFleetException;
import io.lorafleet.runtime.errors.OverloadedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One request received by this node and served by another, seen from this node: routes it (the
 * {@link FleetView}), sends it to the serving node's {@link GenerationService}, passes the events on to the
 * HTTP stream, and retries on another node when the serving node refuses it as overloaded, does not answer,
 * or becomes unreachable or leaves. A request whose tokens were already streamed to the client cannot be
 * retried: it ends with a retryable {@link NodeFailedException}. A non-streaming request keeps its tokens
 * until it finishes, so it is retried whenever its node fails.
 */
public final class RequestRelay extends AbstractBehavior<RequestRelay.Command> {
  /** Messages of the relay. */
  public interface Command {}

  /** The client went away (before or after the request was admitted). */
  public enum Cancel implements Command { INSTANCE }

  /**
   * The HTTP response's stream started: its events go to {@code events} from now on (events that came
   * before are kept until then, so the stream exists only while someone reads it).
   */
  public record Attach(ActorRef<GenerationEvent> events) implements Command {}

  /** Answer to the requester once the request runs somewhere (or cannot). */
  public sealed interface Admission {}

  /** The request runs; {@code relay} takes {@link Cancel}. */
  public record Admitted(ActorRef<Command> relay) implements Admission {}

  public record NotAdmitted(LoraFleetException error) implements Admission {}

  /**
   * A request to relay.
   *
   * @param requestId  this node's id of the request
   * @param priority   its class in the serving node's scheduler
   * @param streaming  whether tokens go to the client as they come (else they are held until the end)
   * @param maxAttempts nodes tried at most
   * @param ackTimeout how long a node may take to start the request (adapter loading included)
   */
  public record Request(String requestId, String adapterId, String autoSource, int[] prompt, SamplingParams params,
      PriorityClass priority, boolean streaming, ActorRef<Admission> replyTo, int maxAttempts,
      Duration ackTimeout) {}

  private record Routed(FleetView.RouteDecision decision, Throwable failure) implements Command {}

  private record FromNode(RelayEvent event) implements Command {}

  private record Lost(FleetView.NodeLost lost) implements Command {}

  private record AckTimeout(int attempt) implements Command {}

  private enum NeverAttached implements Command { INSTANCE }

  /** How long a finished request waits for its HTTP stream to attach before it is dropped. */
  private static final Duration ATTACH_TIMEOUT = Duration.ofSeconds(60);

  public static Behavior<Command> create(Request request, ActorRef<FleetView.Command> fleet, ServerMetrics metrics) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new RequestRelay(ctx, timers, request, fleet, metrics)));
  }

  private final TimerScheduler<Command> timers;
  private final Request request;
  private final ActorRef<FleetView.Command> fleet;
  private final ServerMetrics metrics;
  private final ActorRef<RelayEvent> events;
  private final ActorRef<FleetView.NodeLost> lost;
  private final WireParams params;
  private final Set<String> excluded = new HashSet<>();
  private final List<GenerationEvent.Token> held = new ArrayList<>();
  private final long arrivalNanos = System.nanoTime();
  private long firstTokenNanos;
  private int attempt;
  private String node;
  private ActorRef<GenerationService.Command> service;
  private boolean admitted;
  private boolean started;
  private boolean streamed;
  private ActorRef<GenerationEvent> out;
  private final List<GenerationEvent> unsent = new ArrayList<>();
  private boolean ended;

  private RequestRelay(ActorContext<Command> ctx, TimerScheduler<Command> timers, Request request,
      ActorRef<FleetView.Command> fleet, ServerMetrics metrics) {
    super(ctx);
    this.timers = timers;
    this.request = request;
    this.fleet = fleet;
    this.metrics = metrics;
    this.events = ctx.messageAdapter(RelayEvent.class, FromNode::new);
    this.lost = ctx.messageAdapter(FleetView.NodeLost.class, Lost::new);
    this.params = WireParams.of(request.params(), request.priority());
    route();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Routed.class, this::onRouted)
        .onMessage(FromNode.class, this::onEvent)
        .onMessage(Lost.class, l -> !ended && l.lost().node().equals(node) ? failOver("node " + node + " left or became unreachable") : this)
        .onMessage(AckTimeout.class, t -> !ended && t.attempt() == attempt && !started
            ? failOver("node " + node + " did not start the request in time") : this)
        .onMessage(Attach.class, this::onAttach)
        .onMessage(NeverAttached.class, n -> Behaviors.stopped())
        .onMessage(Cancel.class, c -> {
          // Also before the serving node admitted the request (its adapter may still be loading there): the
          // cancel goes to that node now, and the requester's wait for an admission ends.
          if (service != null && !ended) {
            service.tell(new GenerationService.Cancel(request.requestId(), attempt));
          }
          if (!admitted) {
            request.replyTo().tell(new NotAdmitted(new RequestCancelledException("the requester gave up")));
          }
          return Behaviors.stopped();
        })
        .onSignal(PostStop.class, s -> {
          if (node != null) {
            fleet.tell(new FleetView.UnwatchNode(node, lost));
          }
          return this;
        })
        .build();
  }

  private void route() {
    getContext().ask(FleetView.RouteDecision.class, fleet, Duration.ofSeconds(5),
        replyTo -> new FleetView.Route(request.adapterId(), Set.copyOf(excluded), replyTo), Routed::new);
  }

  private Behavior<Command> onRouted(Routed r) {
    if (r.failure() != null || r.decision().node() == null) {
      return fail(new NodeFailedException(excluded.isEmpty() ? "no serving node is available; retry later"
          : "no other serving node could take the request after " + excluded.size() + " failed; retry later"));
    }
    attempt++;
    node = r.decision().node();
    service = r.decision().service();
    started = false;
    metrics.routed(r.decision().local() ? "local" : "remote");
    fleet.tell(new FleetView.WatchNode(node, lost));
    service.tell(new GenerationService.Generate(request.requestId(), attempt, request.prompt(), request.adapterId(),
        request.autoSource(), params, events));
    timers.startSingleTimer(new AckTimeout(attempt), request.ackTimeout());
    return this;
  }

  private Behavior<Command> onEvent(FromNode f) {
    RelayEvent e = f.event();
    if (ended || e.attempt() != attempt || !e.requestId().equals(request.requestId())) {
      return this;
    }
    switch (e) {
      case RelayEvent.Started s -> {
        started = true;
        if (!admitted) {
          admitted = true;
          request.replyTo().tell(new Admitted(getContext().getSelf()));
        }
      }
      case RelayEvent.Refused r -> {
        LoraFleetException err = r.error().toException();
        if (err instanceof OverloadedException && attempt < request.maxAttempts()) {
          return retry("node " + node + " refused it: " + err.getMessage());
        }
        return fail(err);
      }
      case RelayEvent.Token t -> {
        if (firstTokenNanos == 0) {
          firstTokenNanos = System.nanoTime();
        }
        GenerationEvent.Token token = new GenerationEvent.Token(t.token().toToken(), System.nanoTime());
        if (request.streaming()) {
          streamed = true;
          emit(token);
        } else {
          held.add(token);
        }
      }
      case RelayEvent.Finished done -> {
        held.forEach(this::emit);
        emit(new GenerationEvent.Finished(done.result().toResult(request.requestId(), arrivalNanos,
            firstTokenNanos == 0 ? System.nanoTime() : firstTokenNanos)));
        return end();
      }
      case RelayEvent.Failed failed -> {
        return fail(failed.error().toException());
      }
    }
    return this;
  }

  private Behavior<Command> failOver(String why) {
    if (streamed) {
      return fail(new NodeFailedException("the node serving this request failed after it started streaming ("
          + why + "); retry the request"));
    }
    return retry(why);
  }

  private Behavior<Command> retry(String why) {
    getContext().getLog().info("request {} attempt {} on {}: {}; retrying", request.requestId(), attempt, node, why);
    metrics.retried();
    if (service != null) {
      service.tell(new GenerationService.Cancel(request.requestId(), attempt));
    }
    fleet.tell(new FleetView.UnwatchNode(node, lost));
    excluded.add(node);
    held.clear();
    firstTokenNanos = 0;
    if (attempt >= request.maxAttempts()) {
      return fail(new NodeFailedException("the request failed on " + attempt + " nodes (" + why + "); retry later"));
    }
    node = null;
    service = null;
    route();
    return this;
  }

  /** Ends the request with {@code error}: refused before admission, else a final failed event. */
  private Behavior<Command> fail(LoraFleetException error) {
    if (!admitted) {
      request.replyTo().tell(new NotAdmitted(error));
      return Behaviors.stopped();
    }
    emit(new GenerationEvent.Failed(error));
    return end();
  }

  private void emit(GenerationEvent e) {
    if (out != null) {
      out.tell(e);
    } else {
      unsent.add(e);
    }
  }

  /** The request is over: stop once its events reached the stream. */
  private Behavior<Command> end() {
    emit(GenerationEvent.End.INSTANCE);
    if (out != null) {
      return Behaviors.stopped();
    }
    ended = true;
    if (service != null) {
      fleet.tell(new FleetView.UnwatchNode(node, lost));
      node = null;
    }
    timers.cancelAll();
    timers.startSingleTimer(NeverAttached.INSTANCE, ATTACH_TIMEOUT);
    return this;
  }

  private Behavior<Command> onAttach(Attach a) {
    out = a.events();
    unsent.forEach(out::tell);
    unsent.clear();
    return ended ? Behaviors.stopped() : this;
  }
}
