package io.lorafleet.actors.routing;

import io.lorafleet.actors.adapters.AdapterStore;
import io.lorafleet.actors.batch.BatchBuilder;
import io.lorafleet.actors.batch.GenerationEvent;
import io.lorafleet.actors.serialization.CrossNode;
import io.lorafleet.runtime.engine.PriorityClass;
import io.lorafleet.runtime.engine.SamplingParams;
import io.lorafleet.runtime.errors.LoraFleetException;
import io.lorafleet.runtime.errors.OverloadedException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * A serving node's door for generations: requests other nodes received and relay here (and their
 * retries), and requests this node's HTTP layer routed to itself. Each runs in one {@link ServedGeneration}
 * child, the one generation pipeline (lease the adapter, submit to the batch builder, stream the events
 * back with cancellation, return the lease). While the node drains it refuses relayed requests (as
 * overload: the relay retries elsewhere) and tells the node to leave once nothing runs here.
 */
public final class GenerationService extends AbstractBehavior<GenerationService.Command> {
  /** Messages of the service. */
  public interface Command {}

  /** Runs a request for {@code replyTo} (a relay on the receiving node). */
  public record Generate(String requestId, int attempt, int[] prompt, String adapterId, String autoSource,
      WireParams params, ActorRef<RelayEvent> replyTo) implements Command, CrossNode {}

  /**
   * Runs a request this node received: its events go to {@code events}, the admission answer to {@code
   * replyTo}. Local only; cancelled with {@link Cancel} and {@link #LOCAL_ATTEMPT}.
   */
  public record Serve(String requestId, int[] prompt, String adapterId, String autoSource, SamplingParams params,
      PriorityClass priority, ActorRef<GenerationEvent> events, ActorRef<Admission> replyTo) implements Command {}

  /** Answer to {@link Serve} once the engine accepted the request, or it will not run. */
  public sealed interface Admission {}

  public record Admitted() implements Admission {}

  public record NotAdmitted(LoraFleetException error) implements Admission {}

  /** How long a pipeline waits for the batch builder to admit its request. */
  public static final Duration SUBMIT_TIMEOUT = Duration.ofSeconds(10);

  /** The attempt number of requests served where they were received ({@link Serve}); relays count from 1. */
  public static final int LOCAL_ATTEMPT = 0;

  /** The receiving node gave up on the request (client gone, or it retried elsewhere). */
  public record Cancel(String requestId, int attempt) implements Command, CrossNode {}

  /** Stop admitting, finish in-flight work, then leave (the admin's drain, or the supervisor's scale-in). */
  public record Drain(String reason) implements Command, CrossNode {}

  /** The adapter is no longer placed here: unload it when unused (a cold replica). */
  public record DropAdapter(String adapterId) implements Command, CrossNode {}

  /** Local: how many requests run through this service now. */
  public record GetActive(ActorRef<Integer> replyTo) implements Command {}

  private record Ended(String key) implements Command {}

  /**
   * @param onDrain told once when a drain starts (the node stops announcing itself as accepting, waits
   *                for in-flight work, then leaves)
   */
  public static Behavior<Command> create(ActorRef<AdapterStore.Command> store, ActorRef<BatchBuilder.Command> batch,
      Duration adapterWaitTimeout, ActorRef<String> onDrain) {
    return Behaviors.setup(ctx -> new GenerationService(ctx, store, batch, adapterWaitTimeout, onDrain));
  }

  private final ActorRef<AdapterStore.Command> store;
  private final ActorRef<BatchBuilder.Command> batch;
  private final Duration adapterWaitTimeout;
  private final ActorRef<String> onDrain;
  private final Map<String, ActorRef<ServedGeneration.Command>> running = new HashMap<>();
  private boolean draining;
  private long seq;

  private GenerationService(ActorContext<Command> ctx, ActorRef<AdapterStore.Command> store,
      ActorRef<BatchBuilder.Command> batch, Duration adapterWaitTimeout, ActorRef<String> onDrain) {
    super(ctx);
    this.store = store;
    this.batch = batch;
    this.adapterWaitTimeout = adapterWaitTimeout;
    this.onDrain = onDrain;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Generate.class, this::onGenerate)
        .onMessage(Serve.class, this::onServe)
        .onMessage(Cancel.class, this::onCancel)
        .onMessage(Drain.class, this::onDrain)
        .onMessage(DropAdapter.class, this::onDropAdapter)
        .onMessage(GetActive.class, g -> {
          g.replyTo().tell(running.size());
          return this;
        })
        .onMessage(Ended.class, e -> {
          running.remove(e.key());
          return this;
        })
        .build();
  }

  private static String key(String requestId, int attempt) {
    return requestId + "#" + attempt;
  }

  private Behavior<Command> onGenerate(Generate g) {
    if (draining) {
      g.replyTo().tell(new RelayEvent.Refused(g.requestId(), g.attempt(),
          WireError.of(new OverloadedException("this node is draining"))));
      return this;
    }
    ServedGeneration.Order order = new ServedGeneration.Order(key(g.requestId(), g.attempt()), g.prompt(),
        g.adapterId(), g.autoSource(), g.params().toParams(), g.params().priorityClass());
    serve(g.requestId(), g.attempt(), order, new ServedGeneration.Relayed(g.replyTo(), g.requestId(), g.attempt()));
    return this;
  }

  private Behavior<Command> onServe(Serve s) {
    // Not refused while draining: the HTTP server stops taking requests itself, and the drain waits for
    // these like for any other.
    ServedGeneration.Order order = new ServedGeneration.Order(s.requestId(), s.prompt(), s.adapterId(),
        s.autoSource(), s.params(), s.priority());
    serve(s.requestId(), LOCAL_ATTEMPT, order, new ServedGeneration.Local(s.events(), s.replyTo()));
    return this;
  }

  private void serve(String requestId, int attempt, ServedGeneration.Order order, ServedGeneration.Requester requester) {
    String key = key(requestId, attempt);
    if (running.containsKey(key)) {
      return;
    }
    ActorRef<ServedGeneration.Command> child = getContext().spawn(
        ServedGeneration.create(order, requester, store, batch, adapterWaitTimeout), "served-" + (++seq));
    getContext().watchWith(child, new Ended(key));
    running.put(key, child);
  }

  private Behavior<Command> onCancel(Cancel c) {
    ActorRef<ServedGeneration.Command> child = running.get(key(c.requestId(), c.attempt()));
    if (child != null) {
      child.tell(ServedGeneration.Stop.INSTANCE);
    }
    return this;
  }

  private Behavior<Command> onDrain(Drain d) {
    if (!draining) {
      draining = true;
      getContext().getLog().info("draining: {}", d.reason());
      onDrain.tell(d.reason());
    }
    return this;
  }

  private Behavior<Command> onDropAdapter(DropAdapter d) {
    store.tell(new AdapterStore.Drop(d.adapterId()));
    return this;
  }
}
