package io.lorafleet.actors.batch;

import io.lorafleet.runtime.engine.Engine;
import io.lorafleet.runtime.engine.GenerateRequest;
import io.lorafleet.runtime.engine.GenerationListener;
import io.lorafleet.runtime.engine.GenerationResult;
import io.lorafleet.runtime.engine.TokenOutput;
import io.lorafleet.runtime.errors.LoraFleetException;
import java.util.HashSet;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Owns one {@link Engine} (one per backend instance): starts its step loop on the engine's own thread,
 * admits requests into the running continuous batch (the engine's bounded queue refuses overload at once:
 * never an unbounded queue), streams each request's tokens to its requester (the engine listener only
 * tells) and cancels requests whose client went away (their KV blocks go back to the pool). Adapter leases
 * and device residency are not its business: the request's pipeline holds the lease, the engine decides
 * what is on the device.
 */
public final class BatchBuilder extends AbstractBehavior<BatchBuilder.Command> {
  /** Messages of the batch builder. */
  public interface Command {}

  /** Admits a request into the engine; its events go to {@code events}. Local only. */
  public record Submit(GenerateRequest request, ActorRef<GenerationEvent> events, ActorRef<SubmitResult> replyTo)
      implements Command {}

  /** Answer to {@link Submit}. */
  public sealed interface SubmitResult {}

  public record Accepted(String requestId) implements SubmitResult {}

  public record Rejected(LoraFleetException error) implements SubmitResult {}

  /** Cancels a request (client gone); no-op once it ended. */
  public record Cancel(String requestId) implements Command {}

  /** How many requests were admitted since the start. */
  public record GetAdmitted(ActorRef<Long> replyTo) implements Command {}

  private record Ended(String requestId) implements Command {}

  public static Behavior<Command> create(Engine engine) {
    return Behaviors.setup(ctx -> new BatchBuilder(ctx, engine));
  }

  private final Engine engine;
  private final Set<String> inFlight = new HashSet<>();
  private long admitted;

  private BatchBuilder(ActorContext<Command> ctx, Engine engine) {
    super(ctx);
    this.engine = engine;
    engine.start();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Submit.class, this::onSubmit)
        .onMessage(Cancel.class, this::onCancel)
        .onMessage(Ended.class, e -> {
          inFlight.remove(e.requestId());
          return this;
        })
        .onMessage(GetAdmitted.class, g -> {
          g.replyTo().tell(admitted);
          return this;
        })
        .build();
  }

  private Behavior<Command> onSubmit(Submit s) {
    GenerateRequest r = s.request();
    try {
      engine.submit(r, new Listener(s.events(), getContext().getSelf()));
    } catch (LoraFleetException e) {
      s.replyTo().tell(new Rejected(e));
      return this;
    }
    inFlight.add(r.requestId());
    admitted++;
    s.replyTo().tell(new Accepted(r.requestId()));
    return this;
  }

  private Behavior<Command> onCancel(Cancel c) {
    if (inFlight.contains(c.requestId())) {
      getContext().getLog().debug("cancelling {} (client gone)", c.requestId());
      engine.cancel(c.requestId());
    }
    return this;
  }

  /** Runs on the engine thread: only tells. */
  private record Listener(ActorRef<GenerationEvent> events, ActorRef<Command> builder) implements GenerationListener {
    @Override
    public void onToken(String requestId, TokenOutput token) {
      events.tell(new GenerationEvent.Token(token, System.nanoTime()));
    }

    @Override
    public void onFinish(GenerationResult result) {
      events.tell(new GenerationEvent.Finished(result));
      events.tell(GenerationEvent.End.INSTANCE);
      builder.tell(new Ended(result.requestId()));
    }

    @Override
    public void onError(String requestId, LoraFleetException error) {
      events.tell(new GenerationEvent.Failed(error));
      events.tell(GenerationEvent.End.INSTANCE);
      builder.tell(new Ended(requestId));
    }
  }
}
