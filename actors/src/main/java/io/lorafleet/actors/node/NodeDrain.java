package io.lorafleet.actors.node;

import io.lorafleet.actors.routing.GenerationService;
import io.lorafleet.actors.routing.LoadReporter;
import io.lorafleet.runtime.engine.Engine;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Leave;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * A serving node's drain (the admin's, or the supervisor's scale-in): stop announcing the node as accepting
 * work and let that spread, stop the HTTP server once its requests are answered, wait until nothing runs
 * here (the generation service's requests, the engine's queue and batch), withdraw the node's announcement
 * and leave the cluster (its shards are handed off).
 */
final class NodeDrain {
  interface Command {}

  /** Starts the drain; later ones are ignored. */
  record Start(String reason) implements Command {}

  private enum Step implements Command { STOP_HTTP, CHECK }

  private record HttpStopped(Throwable failure) implements Command {}

  private record Active(Integer count, Throwable failure) implements Command {}

  private record Withdrawn(Boolean ok, Throwable failure) implements Command {}

  /** How long the "not accepting" announcement may spread before the HTTP server stops taking connections. */
  static final Duration ANNOUNCE_GRACE = Duration.ofSeconds(1);
  static final Duration HTTP_DEADLINE = Duration.ofSeconds(120);
  static final Duration CHECK_INTERVAL = Duration.ofMillis(200);

  private NodeDrain() {}

  static Behavior<Command> create(ServerBinding binding, ActorRef<LoadReporter.Command> reporter,
      ActorRef<GenerationService.Command> service, Engine engine) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> Behaviors.receive(Command.class)
        .onMessage(Start.class, s -> {
          ctx.getLog().info("drain: no longer accepting work ({})", s.reason());
          reporter.tell(new LoadReporter.SetAccepting(false));
          timers.startSingleTimer(Step.STOP_HTTP, ANNOUNCE_GRACE);
          return draining(ctx, timers, binding, reporter, service, engine);
        })
        .build()));
  }

  private static Behavior<Command> draining(ActorContext<Command> ctx, TimerScheduler<Command> timers,
      ServerBinding binding, ActorRef<LoadReporter.Command> reporter, ActorRef<GenerationService.Command> service,
      Engine engine) {
    return Behaviors.receive(Command.class)
        .onMessage(Start.class, s -> Behaviors.same())
        .onMessage(Step.class, step -> {
          if (step == Step.STOP_HTTP) {
            ctx.pipeToSelf(binding.terminate(HTTP_DEADLINE), (done, err) -> new HttpStopped(err));
          } else {
            ctx.ask(Integer.class, service, Duration.ofSeconds(5), GenerationService.GetActive::new, Active::new);
          }
          return Behaviors.same();
        })
        .onMessage(HttpStopped.class, h -> {
          ctx.getLog().info("drain: HTTP server stopped, its requests done");
          ctx.getSelf().tell(Step.CHECK);
          return Behaviors.same();
        })
        .onMessage(Active.class, a -> {
          var st = engine.stats();
          int active = a.count() == null ? -1 : a.count();
          if (active != 0 || st.waiting() + st.running() > 0) {
            timers.startSingleTimer(Step.CHECK, CHECK_INTERVAL);
            return Behaviors.same();
          }
          ctx.getLog().info("drain: nothing runs here any more; leaving the cluster");
          ctx.ask(Boolean.class, reporter, Duration.ofSeconds(5), LoadReporter.Withdraw::new, Withdrawn::new);
          return Behaviors.same();
        })
        .onMessage(Withdrawn.class, w -> {
          Cluster cluster = Cluster.get(ctx.getSystem());
          cluster.manager().tell(Leave.create(cluster.selfMember().address()));
          return Behaviors.same();
        })
        .build();
  }
}
