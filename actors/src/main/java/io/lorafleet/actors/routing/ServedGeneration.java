package io.lorafleet.actors.routing;

import io.lorafleet.actors.adapters.AdapterStore;
import io.lorafleet.actors.batch.BatchBuilder;
import io.lorafleet.actors.batch.GenerationEvent;
import io.lorafleet.runtime.engine.GenerateRequest;
import io.lorafleet.runtime.errors.LoraFleetException;
import io.lorafleet.runtime.errors.OverloadedException;
import io.lorafleet.runtime.model.LoraAdapter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * One relayed request on its serving node: lease the adapter, submit to the batch builder, send every
 * event to the relay. Stops when the request ends, when the relay cancels, or when the relay's node goes
 * away (death watch) — then the engine cancels the request and its KV blocks return to the pool.
 */
final class ServedGeneration {
  interface Command {}

  enum Stop implements Command { INSTANCE }

  private record Acquired(AdapterStore.AcquireResult result, Throwable failure) implements Command {}

  private record Submitted(BatchBuilder.SubmitResult result, Throwable failure) implements Command {}

  private record Event(GenerationEvent event) implements Command {}

  private static final Duration SUBMIT_TIMEOUT = Duration.ofSeconds(10);

  private ServedGeneration() {}

  static Behavior<Command> create(GenerationService.Generate g, ActorRef<AdapterStore.Command> store,
      ActorRef<BatchBuilder.Command> batch, Duration adapterWaitTimeout) {
    return Behaviors.setup(ctx -> {
      ctx.watch(g.replyTo());
      if (g.adapterId() == null) {
        submit(ctx, g, null, batch);
        return submitting(ctx, g, null, store, batch);
      }
      ctx.ask(AdapterStore.AcquireResult.class, store, adapterWaitTimeout,
          replyTo -> new AdapterStore.Acquire(g.adapterId(), g.autoSource(), replyTo), Acquired::new);
      return acquiring(ctx, g, store, batch, false);
    });
  }

  private static String engineId(GenerationService.Generate g) {
    return g.requestId() + "#" + g.attempt();
  }

  private static void refuse(GenerationService.Generate g, LoraFleetException e) {
    g.replyTo().tell(new RelayEvent.Refused(g.requestId(), g.attempt(), WireError.of(e)));
  }

  private static Behavior<Command> acquiring(ActorContext<Command> ctx, GenerationService.Generate g,
      ActorRef<AdapterStore.Command> store, ActorRef<BatchBuilder.Command> batch, boolean cancelled) {
    return Behaviors.receive(Command.class)
        .onMessage(Acquired.class, a -> {
          if (a.failure() != null) {
            refuse(g, new OverloadedException("adapter " + g.adapterId() + " did not load in time"));
            return Behaviors.stopped();
          }
          return switch (a.result()) {
            case AdapterStore.Refused r -> {
              refuse(g, r.error());
              yield Behaviors.stopped();
            }
            case AdapterStore.Leased l -> {
              if (cancelled) {
                store.tell(new AdapterStore.Release(g.adapterId()));
                yield Behaviors.stopped();
              }
              submit(ctx, g, l.adapter(), batch);
              yield submitting(ctx, g, l.adapter(), store, batch);
            }
          };
        })
        .onMessage(Stop.class, s -> acquiring(ctx, g, store, batch, true))
        .onSignal(Terminated.class, t -> acquiring(ctx, g, store, batch, true))
        .build();
  }

  private static void submit(ActorContext<Command> ctx, GenerationService.Generate g, LoraAdapter adapter,
      ActorRef<BatchBuilder.Command> batch) {
    ActorRef<GenerationEvent> events = ctx.messageAdapter(GenerationEvent.class, Event::new);
    GenerateRequest request = new GenerateRequest(engineId(g), g.prompt(), adapter, g.params().toParams());
    ctx.ask(BatchBuilder.SubmitResult.class, batch, SUBMIT_TIMEOUT,
        replyTo -> new BatchBuilder.Submit(request, events, replyTo), Submitted::new);
  }

  private static Behavior<Command> submitting(ActorContext<Command> ctx, GenerationService.Generate g,
      LoraAdapter adapter, ActorRef<AdapterStore.Command> store, ActorRef<BatchBuilder.Command> batch) {
    boolean[] cancelled = {false};
    // Events may overtake the batch builder's answer: keep them until it comes.
    List<GenerationEvent> early = new ArrayList<>();
    return Behaviors.receive(Command.class)
        .onMessage(Submitted.class, s -> {
          if (s.failure() != null) {
            // Unknown outcome: cancel in case it was admitted (the batch builder then releases the lease).
            batch.tell(new BatchBuilder.Cancel(engineId(g)));
            refuse(g, new OverloadedException("the batch builder did not answer in time"));
            return Behaviors.stopped();
          }
          return switch (s.result()) {
            case BatchBuilder.Rejected r -> {
              refuse(g, r.error());
              yield Behaviors.stopped();
            }
            case BatchBuilder.Accepted a -> {
              if (cancelled[0]) {
                batch.tell(new BatchBuilder.Cancel(engineId(g)));
              } else {
                g.replyTo().tell(new RelayEvent.Started(g.requestId(), g.attempt()));
              }
              boolean ended = false;
              for (GenerationEvent e : early) {
                ended |= forward(g, e, cancelled[0]);
              }
              yield ended ? Behaviors.stopped() : streaming(ctx, g, batch, cancelled[0]);
            }
          };
        })
        .onMessage(Stop.class, s -> {
          cancelled[0] = true;
          return Behaviors.same();
        })
        .onSignal(Terminated.class, t -> {
          cancelled[0] = true;
          return Behaviors.same();
        })
        .onMessage(Event.class, e -> {
          early.add(e.event());
          return Behaviors.same();
        })
        .build();
  }

  /** Sends one event to the relay (unless cancelled); true at the end of the stream. */
  private static boolean forward(GenerationService.Generate g, GenerationEvent event, boolean cancelled) {
    switch (event) {
      case GenerationEvent.Token t -> {
        if (!cancelled) {
          g.replyTo().tell(new RelayEvent.Token(g.requestId(), g.attempt(), WireToken.of(t.token())));
        }
      }
      case GenerationEvent.Finished f -> {
        if (!cancelled) {
          g.replyTo().tell(new RelayEvent.Finished(g.requestId(), g.attempt(), WireResult.of(f.result())));
        }
      }
      case GenerationEvent.Failed f -> {
        if (!cancelled) {
          g.replyTo().tell(new RelayEvent.Failed(g.requestId(), g.attempt(), WireError.of(f.error())));
        }
      }
      case GenerationEvent.End end -> {
        return true;
      }
    }
    return false;
  }

  private static Behavior<Command> streaming(ActorContext<Command> ctx, GenerationService.Generate g,
      ActorRef<BatchBuilder.Command> batch, boolean cancelled) {
    return Behaviors.receive(Command.class)
        .onMessage(Event.class, e -> forward(g, e.event(), cancelled) ? Behaviors.stopped() : Behaviors.same())
        .onMessage(Stop.class, s -> {
          batch.tell(new BatchBuilder.Cancel(engineId(g)));
          return streaming(ctx, g, batch, true);
        })
        .onSignal(Terminated.class, t -> {
          batch.tell(new BatchBuilder.Cancel(engineId(g)));
          return streaming(ctx, g, batch, true);
        })
        .build();
  }
}
