package io.lorafleet.actors.routing;

import io.lorafleet.actors.adapters.AdapterStore;
import io.lorafleet.actors.batch.BatchBuilder;
import io.lorafleet.actors.batch.GenerationEvent;
import io.lorafleet.runtime.engine.GenerateRequest;
import io.lorafleet.runtime.engine.PriorityClass;
import io.lorafleet.runtime.engine.SamplingParams;
import io.lorafleet.runtime.errors.LoraFleetException;
import io.lorafleet.runtime.errors.OverloadedException;
import io.lorafleet.runtime.model.LoraAdapter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The generation pipeline of one request on the node that serves it, whether the request came in here
 * ({@link GenerationService.Serve}) or was relayed from another node ({@link GenerationService.Generate}):
 * lease the adapter from the node's {@link AdapterStore}, submit to the {@link BatchBuilder}, pass every
 * event on to the {@link Requester}, and give the lease back once the engine is done with the request. The
 * lease is taken and returned here and nowhere else, exactly once, also when an answer comes after its
 * timeout (the pipeline then stays until the late answer and undoes it).
 *
 * <p>Cancelled when the requester says so ({@link Stop}) or goes away (death watch): the engine then cancels
 * the request and its KV blocks return to the pool. An adapter that does not load, or a batch builder that
 * does not answer, in time is refused as overload (a relay then tries another node).
 */
final class ServedGeneration extends AbstractBehavior<ServedGeneration.Command> {
  interface Command {}

  /** The requester gave up on the request. */
  enum Stop implements Command { INSTANCE }

  private record Acquired(AdapterStore.AcquireResult result) implements Command {}

  private record Submitted(BatchBuilder.SubmitResult result) implements Command {}

  private record Event(GenerationEvent event) implements Command {}

  private enum Timeout implements Command { ADAPTER, SUBMIT }

  /**
   * What to run.
   *
   * @param engineRequestId the request's id in the engine (unique on this node)
   * @param adapterId       the adapter, or null for the base model
   * @param autoSource      registers the adapter on first use from this source, or null
   * @param priority        its class in the engine's scheduler
   */
  record Order(String engineRequestId, int[] prompt, String adapterId, String autoSource, SamplingParams params,
      PriorityClass priority) {}

  /** Who hears how the request goes. Called on the pipeline's actor; implementations only tell. */
  interface Requester {
    /** Watched: when it stops, the request is cancelled. */
    ActorRef<?> watched();

    /** The engine accepted the request; events follow. */
    void started();

    /** The request will not run; no events follow. */
    void refused(LoraFleetException error);

    /** Tokens, then the result or the failure, then {@link GenerationEvent.End}. */
    void event(GenerationEvent event);
  }

  /** A relay on another node (or this one) that receives the request's events as {@link RelayEvent}s. */
  record Relayed(ActorRef<RelayEvent> relay, String requestId, int attempt) implements Requester {
    @Override
    public ActorRef<?> watched() {
      return relay;
    }

    @Override
    public void started() {
      relay.tell(new RelayEvent.Started(requestId, attempt));
    }

    @Override
    public void refused(LoraFleetException error) {
      relay.tell(new RelayEvent.Refused(requestId, attempt, WireError.of(error)));
    }

    @Override
    public void event(GenerationEvent event) {
      switch (event) {
        case GenerationEvent.Token t -> relay.tell(new RelayEvent.Token(requestId, attempt, WireToken.of(t.token())));
        case GenerationEvent.Finished f ->
            relay.tell(new RelayEvent.Finished(requestId, attempt, WireResult.of(f.result())));
        case GenerationEvent.Failed f -> relay.tell(new RelayEvent.Failed(requestId, attempt, WireError.of(f.error())));
        case GenerationEvent.End end -> { }
      }
    }
  }

  /** This node's HTTP layer: the admission answer, and the events straight into the response's stream. */
  record Local(ActorRef<GenerationEvent> events, ActorRef<GenerationService.Admission> admission)
      implements Requester {
    @Override
    public ActorRef<?> watched() {
      return events;
    }

    @Override
    public void started() {
      admission.tell(new GenerationService.Admitted());
    }

    @Override
    public void refused(LoraFleetException error) {
      admission.tell(new GenerationService.NotAdmitted(error));
      events.tell(GenerationEvent.End.INSTANCE);
    }

    @Override
    public void event(GenerationEvent event) {
      events.tell(event);
    }
  }

  private enum Step { ACQUIRING, SUBMITTING, RUNNING }

  static Behavior<Command> create(Order order, Requester requester, ActorRef<AdapterStore.Command> store,
      ActorRef<BatchBuilder.Command> batch, Duration adapterWaitTimeout) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new ServedGeneration(ctx, timers, order, requester, store, batch, adapterWaitTimeout)));
  }

  private final TimerScheduler<Command> timers;
  private final Order order;
  private final Requester requester;
  private final ActorRef<AdapterStore.Command> store;
  private final ActorRef<BatchBuilder.Command> batch;
  private Step step;
  /** Whether this pipeline holds a lease of {@code order.adapterId()} (returned exactly once). */
  private boolean leased;
  /** Whether the requester has its answer (started or refused). */
  private boolean answered;
  /** The requester gave up, or was refused after a timeout: nothing more goes to it. */
  private boolean cancelled;
  /** Events that overtook the batch builder's answer. */
  private final List<GenerationEvent> early = new ArrayList<>();

  private ServedGeneration(ActorContext<Command> ctx, TimerScheduler<Command> timers, Order order, Requester requester,
      ActorRef<AdapterStore.Command> store, ActorRef<BatchBuilder.Command> batch, Duration adapterWaitTimeout) {
    super(ctx);
    this.timers = timers;
    this.order = order;
    this.requester = requester;
    this.store = store;
    this.batch = batch;
    ctx.watch(requester.watched());
    if (order.adapterId() == null) {
      submit(null);
    } else {
      step = Step.ACQUIRING;
      store.tell(new AdapterStore.Acquire(order.adapterId(), order.autoSource(),
          ctx.messageAdapter(AdapterStore.AcquireResult.class, Acquired::new)));
      timers.startSingleTimer(Timeout.ADAPTER, adapterWaitTimeout);
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Acquired.class, this::onAcquired)
        .onMessage(Submitted.class, this::onSubmitted)
        .onMessage(Event.class, this::onEvent)
        .onMessage(Timeout.class, this::onTimeout)
        .onMessage(Stop.class, s -> onGiveUp())
        .onSignal(Terminated.class, t -> onGiveUp())
        .onSignal(PostStop.class, s -> {
          returnLease(); // stopped from outside (its service restarted): the lease still goes back
          return this;
        })
        .build();
  }

  private Behavior<Command> onAcquired(Acquired a) {
    timers.cancel(Timeout.ADAPTER);
    return switch (a.result()) {
      case AdapterStore.Refused r -> {
        refuse(r.error());
        yield Behaviors.stopped();
      }
      case AdapterStore.Leased l -> {
        leased = true;
        if (cancelled) {
          yield done();
        }
        submit(l.adapter());
        yield this;
      }
    };
  }

  private void submit(LoraAdapter adapter) {
    step = Step.SUBMITTING;
    GenerateRequest request = new GenerateRequest(order.engineRequestId(), order.prompt(), adapter, order.params(),
        order.priority());
    batch.tell(new BatchBuilder.Submit(request, getContext().messageAdapter(GenerationEvent.class, Event::new),
        getContext().messageAdapter(BatchBuilder.SubmitResult.class, Submitted::new)));
    timers.startSingleTimer(Timeout.SUBMIT, GenerationService.SUBMIT_TIMEOUT);
  }

  private Behavior<Command> onSubmitted(Submitted s) {
    timers.cancel(Timeout.SUBMIT);
    return switch (s.result()) {
      case BatchBuilder.Rejected r -> {
        refuse(r.error());
        yield done();
      }
      case BatchBuilder.Accepted a -> {
        step = Step.RUNNING;
        if (cancelled) {
          batch.tell(new BatchBuilder.Cancel(order.engineRequestId()));
        } else {
          answered = true;
          requester.started();
        }
        for (GenerationEvent e : early) {
          if (forward(e)) {
            yield done();
          }
        }
        early.clear();
        yield this;
      }
    };
  }

  private Behavior<Command> onEvent(Event e) {
    if (step != Step.RUNNING) {
      early.add(e.event());
      return this;
    }
    return forward(e.event()) ? done() : this;
  }

  /** Passes one event on (unless cancelled); true at the end of the stream. */
  private boolean forward(GenerationEvent event) {
    if (!cancelled) {
      requester.event(event);
    }
    return event == GenerationEvent.End.INSTANCE;
  }

  private Behavior<Command> onTimeout(Timeout t) {
    if (t == Timeout.ADAPTER && step == Step.ACQUIRING) {
      refuse(new OverloadedException("adapter " + order.adapterId() + " did not load in time"));
      cancelled = true; // the store's late answer is still awaited: a lease it brings goes back
    } else if (t == Timeout.SUBMIT && step == Step.SUBMITTING) {
      // Unknown outcome: cancel in case it is admitted; its end (or its rejection) is still awaited.
      batch.tell(new BatchBuilder.Cancel(order.engineRequestId()));
      refuse(new OverloadedException("the batch builder did not answer in time"));
      cancelled = true;
    }
    return this;
  }

  private Behavior<Command> onGiveUp() {
    // Not admitted yet (the adapter still loads, or the batch builder has not answered): the requester's wait
    // for an answer ends now; the request never reaches the engine (or is cancelled there on admission).
    refuse(new RequestCancelledException("the requester gave up before the request was admitted"));
    if (!cancelled) {
      cancelled = true;
      if (step == Step.RUNNING) {
        batch.tell(new BatchBuilder.Cancel(order.engineRequestId()));
      }
    }
    return this;
  }

  private void refuse(LoraFleetException error) {
    if (!answered && !cancelled) {
      answered = true;
      requester.refused(error);
    }
  }

  /** The engine is done with the request (or never got it): the lease goes back and the pipeline stops. */
  private Behavior<Command> done() {
    returnLease();
    return Behaviors.stopped();
  }

  private void returnLease() {
    if (leased) {
      leased = false;
      store.tell(new AdapterStore.Release(order.adapterId()));
    }
  }
}
