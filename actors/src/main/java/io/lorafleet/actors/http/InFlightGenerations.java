package io.lorafleet.actors.http;

import io.lorafleet.actors.batch.GenerationEvent;
import io.lorafleet.runtime.errors.LoraFleetException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The generations this node's HTTP server is answering, and whether it admits new ones: what a drain (the
 * admin's, the supervisor's scale-in, or SIGTERM through coordinated shutdown) stops, waits for and, at its
 * deadline, cuts. A cut generation is cancelled in the engine and its client gets a final error event (a
 * stream) or error response (a non-streaming request) instead of a silently closed connection. One per
 * actor system (a Pekko extension), so the routes and the drain need no shared wiring.
 */
public final class InFlightGenerations implements Extension {
  private static final ExtensionId<InFlightGenerations> ID = new ExtensionId<>() {
    @Override
    public InFlightGenerations createExtension(ActorSystem<?> system) {
      return new InFlightGenerations();
    }
  };

  /** One tracked generation: completing {@code cut} ends its event stream with that event. */
  private record Tracked(CompletableFuture<GenerationEvent> cut, Runnable cancel) {}

  private final Set<Tracked> running = ConcurrentHashMap.newKeySet();
  private volatile boolean admitting = true;

  private InFlightGenerations() {}

  public static InFlightGenerations get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** Whether new generations are admitted (false once a drain started). */
  public boolean admitting() {
    return admitting;
  }

  /** From now on new generations are refused (503, retry on another node). */
  public void stopAdmitting() {
    admitting = false;
  }

  /** Generations whose events are still being sent. */
  public int count() {
    return running.size();
  }

  /**
   * Tracks a generation from now until its events end: {@code cancel} stops it in the engine when it is cut.
   * Call once per admitted generation, on the stream its response is made from.
   */
  Source<GenerationEvent, NotUsed> track(Source<GenerationEvent, NotUsed> events, Runnable cancel) {
    Tracked t = new Tracked(new CompletableFuture<>(), cancel);
    running.add(t);
    // The cut source never completes unless cut: the merge ends with the events (eagerComplete), or right
    // after the cut's error event.
    return events.merge(Source.completionStage(t.cut()), true)
        .watchTermination((notUsed, done) -> {
          done.whenComplete((d, err) -> running.remove(t));
          return notUsed;
        });
  }

  /** Ends every tracked generation now with {@code error}: cancelled in the engine, the client told. */
  public int cutAll(LoraFleetException error) {
    int n = 0;
    for (Tracked t : running) {
      if (t.cut().complete(new GenerationEvent.Failed(error))) {
        t.cancel().run();
        n++;
      }
      running.remove(t);
    }
    return n;
  }
}
