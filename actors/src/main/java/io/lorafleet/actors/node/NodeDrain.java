package io.lorafleet.actors.node;

import com.typesafe.config.Config;
import io.lorafleet.actors.http.InFlightGenerations;
import io.lorafleet.actors.routing.GenerationService;
import io.lorafleet.actors.routing.LoadReporter;
import io.lorafleet.actors.routing.NodeFailedException;
import io.lorafleet.runtime.engine.Engine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Leave;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * A node's drain, one sequence for every way a node goes away: the admin's drain and the supervisor's
 * scale-in ({@link Start}, then the node leaves the cluster) and SIGTERM or any other coordinated shutdown
 * (its tasks in the phases {@code before-service-unbind}, {@code service-unbind} and {@code
 * service-requests-done}). Steps: stop announcing the node as accepting work and refuse relayed requests,
 * let that spread ({@code lorafleet.drain.announce-grace}); stop admitting HTTP generations (503, and
 * {@code /health} answers 503); wait until nothing runs here (the HTTP server's generations, the generation
 * service's relayed requests, the engine's queue and batch), at most {@code lorafleet.drain.timeout}; at the
 * deadline end what is left with an explicit error event (cancelled in the engine); close the HTTP server;
 * then (a drain) withdraw the announcement and leave the cluster, which hands the shards off and runs the
 * rest of the coordinated shutdown.
 */
final class NodeDrain extends AbstractBehavior<NodeDrain.Command> {
  interface Command {}

  /** Starts the drain (admin, supervisor); the node leaves the cluster at its end. Later ones are ignored. */
  record Start(String reason) implements Command {}

  /** A coordinated-shutdown phase asks for its step; {@code replyTo} hears when the step is done. */
  private record Phase(Step step, ActorRef<Done> replyTo) implements Command {}

  private enum Step { STOP_ANNOUNCING, STOP_ADMITTING, REQUESTS_DONE }

  private enum Tick implements Command { GRACE_PASSED, CHECK, FLUSHED }

  private record Active(Integer count, Throwable failure) implements Command {}

  private record HttpClosed() implements Command {}

  private record Withdrawn(Boolean ok, Throwable failure) implements Command {}

  /**
   * {@code lorafleet.drain}: how long the "not accepting" announcement may spread, and how long in-flight
   * generations may take before they are cut (never longer than the coordinated-shutdown phase that waits).
   */
  record Settings(Duration announceGrace, Duration timeout) {
    static Settings from(Config config) {
      Duration timeout = config.getDuration("lorafleet.drain.timeout");
      Duration phase = config.getDuration("pekko.coordinated-shutdown.phases.service-requests-done.timeout");
      Duration room = phase.minus(FLUSH).minusSeconds(2);
      return new Settings(config.getDuration("lorafleet.drain.announce-grace"),
          timeout.compareTo(room) > 0 ? room : timeout);
    }
  }

  static final Duration CHECK_INTERVAL = Duration.ofMillis(200);
  /** After a cut, how long the error events get to reach their clients before the server closes. */
  static final Duration FLUSH = Duration.ofSeconds(1);
  private static final Duration PHASE_ASK = Duration.ofDays(1); // the phase's own timeout bounds the wait

  private final TimerScheduler<Command> timers;
  private final Settings settings;
  private final ServerBinding binding;
  private final ActorRef<LoadReporter.Command> reporter;
  private final ActorRef<GenerationService.Command> service;
  private final Engine engine;
  private final InFlightGenerations inFlight;
  private final List<ActorRef<Done>> waitingForGrace = new ArrayList<>();
  private final List<ActorRef<Done>> waitingForDone = new ArrayList<>();
  private boolean started;
  private boolean graceOver;
  private boolean checking;
  private boolean done;
  private boolean leaveWhenDone;
  private boolean shuttingDown;
  private long deadline;

  /**
   * @param reporter the node's load reporter, or null (an ingress-only node announces nothing)
   * @param service  the node's generation service, or null (an ingress-only node)
   */
  static Behavior<Command> create(Settings settings, ServerBinding binding, ActorRef<LoadReporter.Command> reporter,
      ActorRef<GenerationService.Command> service, Engine engine) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      NodeDrain drain = new NodeDrain(ctx, timers, settings, binding, reporter, service, engine);
      drain.joinCoordinatedShutdown();
      return drain;
    }));
  }

  private NodeDrain(ActorContext<Command> ctx, TimerScheduler<Command> timers, Settings settings,
      ServerBinding binding, ActorRef<LoadReporter.Command> reporter, ActorRef<GenerationService.Command> service,
      Engine engine) {
    super(ctx);
    this.timers = timers;
    this.settings = settings;
    this.binding = binding;
    this.reporter = reporter;
    this.service = service;
    this.engine = engine;
    this.inFlight = InFlightGenerations.get(ctx.getSystem());
  }

  private void joinCoordinatedShutdown() {
    CoordinatedShutdown cs = CoordinatedShutdown.get(getContext().getSystem());
    ActorRef<Command> self = getContext().getSelf();
    var scheduler = getContext().getSystem().scheduler();
    java.util.function.Function<Step, java.util.function.Supplier<CompletionStage<Done>>> ask = step -> () ->
        AskPattern.<Command, Done>ask(self, r -> new Phase(step, r), PHASE_ASK, scheduler);
    cs.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "lorafleet-stop-announcing", ask.apply(Step.STOP_ANNOUNCING));
    cs.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "lorafleet-stop-admitting", ask.apply(Step.STOP_ADMITTING));
    cs.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "lorafleet-requests-done", ask.apply(Step.REQUESTS_DONE));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Start.class, s -> {
          if (!started) {
            leaveWhenDone = !shuttingDown;
          }
          begin(s.reason());
          return this;
        })
        .onMessage(Phase.class, this::onPhase)
        .onMessageEquals(Tick.GRACE_PASSED, () -> {
          graceOver = true;
          waitingForGrace.forEach(r -> r.tell(Done.getInstance()));
          waitingForGrace.clear();
          stopAdmitting();
          return this;
        })
        .onMessageEquals(Tick.CHECK, () -> {
          if (service == null) {
            getContext().getSelf().tell(new Active(0, null));
          } else {
            getContext().ask(Integer.class, service, Duration.ofSeconds(5), GenerationService.GetActive::new, Active::new);
          }
          return this;
        })
        .onMessage(Active.class, this::onActive)
        .onMessageEquals(Tick.FLUSHED, () -> {
          finish();
          return this;
        })
        .onMessage(HttpClosed.class, h -> {
          if (leaveWhenDone) {
            if (reporter == null) {
              getContext().getSelf().tell(new Withdrawn(true, null));
            } else {
              getContext().ask(Boolean.class, reporter, Duration.ofSeconds(5), LoadReporter.Withdraw::new, Withdrawn::new);
            }
          }
          return this;
        })
        .onMessage(Withdrawn.class, w -> {
          getContext().getLog().info("drain: nothing runs here any more; leaving the cluster");
          Cluster cluster = Cluster.get(getContext().getSystem());
          cluster.manager().tell(Leave.create(cluster.selfMember().address()));
          return this;
        })
        .build();
  }

  private Behavior<Command> onPhase(Phase p) {
    shuttingDown = true;
    switch (p.step()) {
      case STOP_ANNOUNCING -> {
        begin("coordinated shutdown");
        if (graceOver) {
          p.replyTo().tell(Done.getInstance());
        } else {
          waitingForGrace.add(p.replyTo());
        }
      }
      case STOP_ADMITTING -> {
        begin("coordinated shutdown");
        stopAdmitting();
        p.replyTo().tell(Done.getInstance());
      }
      case REQUESTS_DONE -> {
        begin("coordinated shutdown");
        stopAdmitting();
        if (done) {
          p.replyTo().tell(Done.getInstance());
        } else {
          waitingForDone.add(p.replyTo());
        }
      }
    }
    return this;
  }

  private void begin(String reason) {
    if (started) {
      return;
    }
    started = true;
    getContext().getLog().info("drain: no longer accepting work ({}); in-flight generations get {} s", reason,
        settings.timeout().toSeconds());
    if (reporter != null) {
      reporter.tell(new LoadReporter.SetAccepting(false));
    }
    if (service != null) {
      // Relayed requests are refused from now on (their relays retry elsewhere).
      service.tell(new GenerationService.Drain(reason));
    }
    timers.startSingleTimer(Tick.GRACE_PASSED, settings.announceGrace());
  }

  private void stopAdmitting() {
    if (checking) {
      return;
    }
    checking = true;
    inFlight.stopAdmitting();
    deadline = System.nanoTime() + settings.timeout().toNanos();
    getContext().getLog().info("drain: new generations refused; waiting for {} in flight", inFlight.count());
    getContext().getSelf().tell(Tick.CHECK);
  }

  private Behavior<Command> onActive(Active a) {
    if (done) {
      return this;
    }
    var st = engine.stats();
    int active = a.count() == null ? -1 : a.count();
    boolean idle = active == 0 && inFlight.count() == 0 && st.waiting() + st.running() == 0;
    if (idle) {
      getContext().getLog().info("drain: every in-flight generation ended");
      finish();
    } else if (System.nanoTime() - deadline >= 0) {
      int cut = inFlight.cutAll(new NodeFailedException("the node shut down before this generation finished "
          + "(drain deadline " + settings.timeout().toSeconds() + " s); retry it"));
      getContext().getLog().warn("drain: deadline reached; {} generations ended with an error event ({} relayed, "
          + "{} in the engine)", cut, active, st.waiting() + st.running());
      done = true; // nothing more is waited for; FLUSHED finishes
      timers.startSingleTimer(Tick.FLUSHED, FLUSH);
    } else {
      timers.startSingleTimer(Tick.CHECK, CHECK_INTERVAL);
    }
    return this;
  }

  private void finish() {
    done = true;
    waitingForDone.forEach(r -> r.tell(Done.getInstance()));
    waitingForDone.clear();
    getContext().pipeToSelf(binding.terminate(Duration.ofSeconds(5)), (t, err) -> new HttpClosed());
  }
}
