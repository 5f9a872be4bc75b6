package io.lorafleet.actors.routing;

import io.lorafleet.actors.metrics.ServerMetrics;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/** Starts one {@link RequestRelay} per request this node receives and another node serves. */
public final class GenerationRouter {
  /** Messages of the router. */
  public interface Command {}

  public record Relay(RequestRelay.Request request) implements Command {}

  private GenerationRouter() {}

  public static Behavior<Command> create(ActorRef<FleetView.Command> fleet, ServerMetrics metrics) {
    return Behaviors.setup(ctx -> {
      long[] seq = {0};
      return Behaviors.receive(Command.class)
          .onMessage(Relay.class, r -> {
            ctx.spawn(RequestRelay.create(r.request(), fleet, metrics), "relay-" + (++seq[0]));
            return Behaviors.same();
          })
          .build();
    });
  }
}
