package io.lorafleet.actors.routing;

import io.lorafleet.actors.metrics.ServerMetrics;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Starts one {@link RequestRelay} per request this node receives and another node serves, and passes a
 * requester's {@link Cancel} to it by request id: also before the relay's first answer, so a client that
 * leaves while the serving node still loads the adapter (or before it admitted the request) cancels it
 * there at once.
 */
public final class GenerationRouter {
  /** Messages of the router. */
  public interface Command {}

  public record Relay(RequestRelay.Request request) implements Command {}

  /** The requester of {@code requestId} gave up (its client left): cancel it wherever it is. */
  public record Cancel(String requestId) implements Command {}

  private record RelayEnded(String requestId) implements Command {}

  private GenerationRouter() {}

  public static Behavior<Command> create(ActorRef<FleetView.Command> fleet, ServerMetrics metrics) {
    return Behaviors.setup(ctx -> {
      long[] seq = {0};
      Map<String, ActorRef<RequestRelay.Command>> relays = new HashMap<>();
      return Behaviors.receive(Command.class)
          .onMessage(Relay.class, r -> {
            ActorRef<RequestRelay.Command> relay =
                ctx.spawn(RequestRelay.create(r.request(), fleet, metrics), "relay-" + (++seq[0]));
            relays.put(r.request().requestId(), relay);
            ctx.watchWith(relay, new RelayEnded(r.request().requestId()));
            return Behaviors.same();
          })
          .onMessage(Cancel.class, c -> {
            ActorRef<RequestRelay.Command> relay = relays.get(c.requestId());
            if (relay != null) {
              relay.tell(RequestRelay.Cancel.INSTANCE);
            }
            return Behaviors.same();
          })
          .onMessage(RelayEnded.class, e -> {
            relays.remove(e.requestId());
            return Behaviors.same();
          })
          .build();
    });
  }
}
