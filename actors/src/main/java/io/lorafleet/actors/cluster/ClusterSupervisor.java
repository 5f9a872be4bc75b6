package io.lorafleet.actors.cluster;

import io.lorafleet.actors.metrics.ServerMetrics;
import io.lorafleet.actors.placement.AllocationPolicy;
import io.lorafleet.actors.placement.NodeLoad;
import io.lorafleet.actors.placement.ReplicaPlacement;
import io.lorafleet.actors.placement.ReplicationPlanner;
import io.lorafleet.actors.placement.ReplicationPolicy;
import io.lorafleet.actors.placement.ScalingPlanner;
import io.lorafleet.actors.placement.ScalingPolicy;
import io.lorafleet.actors.routing.AdapterPlacement;
import io.lorafleet.actors.routing.FleetKeys;
import io.lorafleet.actors.routing.GenerationService;
import io.lorafleet.actors.routing.NodeAnnouncement;
import io.lorafleet.actors.serialization.CrossNode;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The fleet's supervisor, a cluster singleton: it executes what the planners of
 * {@code io.lorafleet.actors.placement} decide. Every tick it reads the nodes' announcements and the
 * placements from Distributed Data, and: replicates hot adapters ({@link ReplicationPlanner}: replica counts
 * from the fleet-wide request rate per adapter by the {@link ReplicationPolicy}, nodes chosen by the {@link
 * AllocationPolicy}; placements written to Distributed Data, where every node's router reads them; dropped
 * replicas are unloaded there), and scales the fleet ({@link ScalingPlanner} around the {@link ScalingPolicy})
 * through its {@link Provisioner} — a scale-in drains the chosen node first. Admins move adapters, set replica
 * counts and ask for a rebalance through it (the same planner). Every decision is logged, counted in the
 * metrics and kept (the last ones) for {@code GET /admin/cluster}. The simulator ({@code lorafleet simulate})
 * replays the same replication planner on its model of a fleet.
 */
public final class ClusterSupervisor extends AbstractBehavior<ClusterSupervisor.Command> {
  /** Messages of the supervisor (all may come from other nodes, through the singleton proxy). */
  public interface Command {}

  /** Admin: serve {@code adapter} on {@code count} nodes until told otherwise. */
  public record SetReplicas(String adapter, int count, ActorRef<PlacementResult> replyTo)
      implements Command, CrossNode {}

  /** Admin: serve {@code adapter} on node {@code to} (a cluster address) only. */
  public record MoveAdapter(String adapter, String to, ActorRef<PlacementResult> replyTo)
      implements Command, CrossNode {}

  /** Answer to {@link SetReplicas} and {@link MoveAdapter}: the nodes, or an error message. */
  public record PlacementResult(String adapter, String[] nodes, String error) implements CrossNode {}

  /** Admin: recompute every automatic placement from the current loads now. */
  public record Rebalance(ActorRef<RebalanceResult> replyTo) implements Command, CrossNode {}

  public record RebalanceResult(String[] changes) implements CrossNode {}

  public record GetStatus(ActorRef<Status> replyTo) implements Command, CrossNode {}

  /**
   * The supervisor's state.
   *
   * @param node         where it runs
   * @param provisioner  its provisioner ({@code none} when scaling is off)
   * @param liveNodes    serving nodes accepting work
   * @param desiredNodes serving nodes it aims for
   * @param pendingNodes nodes asked for that have not joined yet
   * @param managed      the nodes its provisioner manages
   * @param decisions    its latest decisions, oldest first
   */
  public record Status(String node, String provisioner, int liveNodes, int desiredNodes, int pendingNodes,
      String[] managed, Decision[] decisions) implements CrossNode {}

  /** One decision: when, what kind ({@code scale-out}, {@code scale-in}, {@code replicas}, ...), about what, why. */
  public record Decision(long atMillis, String kind, String subject, String reason) implements CrossNode {}

  private enum Tick implements Command { INSTANCE }

  private record DataChanged(Replicator.SubscribeResponse<?> rsp) implements Command {}

  private record Provisioned(String kind, String subject, String outcome, Throwable failure) implements Command {}

  private enum Written implements Command { INSTANCE }

  /**
   * @param tick            how often it decides
   * @param replication     replica counts
   * @param allocation      replica nodes
   * @param scaling         fleet size
   * @param pendingTimeout  how long a requested node may take to join before it no longer counts as pending
   * @param keptDecisions   decisions kept for the admin API
   */
  public record Settings(Duration tick, ReplicationPolicy replication, AllocationPolicy allocation,
      ScalingPolicy scaling, Duration pendingTimeout, int keptDecisions) {}

  /**
   * @param provisioner made when the supervisor starts (on whichever node hosts the singleton); null: no
   *                    scaling
   */
  public static Behavior<Command> create(Settings settings, Supplier<Provisioner> provisioner, ServerMetrics metrics) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      FleetKeys.subscribe(ctx, DataChanged::new, FleetKeys.LOADS, FleetKeys.PLACEMENTS);
      timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.tick());
      Provisioner p = provisioner == null ? null : provisioner.get();
      return new ClusterSupervisor(ctx, settings, p, metrics);
    }));
  }

  private final ActorRef<Replicator.Command> replicator;
  private final ActorRef<Replicator.UpdateResponse<LWWMap<String, AdapterPlacement>>> written;
  private final SelfUniqueAddress selfAddress;
  private final Settings settings;
  private final Provisioner provisioner;
  private final ServerMetrics metrics;
  private final Cluster cluster;
  private final ReplicationPlanner replication;
  private final ScalingPlanner scaling;
  private Map<String, NodeAnnouncement> announcements = Map.of();
  private Map<String, AdapterPlacement> placements = Map.of();
  private Map<String, ReplicationPolicy.State> replicaStates = Map.of();
  private ScalingPlanner.State scalingState = ScalingPlanner.State.INITIAL;
  private final ArrayDeque<Decision> decisions = new ArrayDeque<>();

  @SuppressWarnings({"unchecked", "rawtypes"})
  private ClusterSupervisor(ActorContext<Command> ctx, Settings settings, Provisioner provisioner,
      ServerMetrics metrics) {
    super(ctx);
    this.replicator = DistributedData.get(ctx.getSystem()).replicator();
    this.written = (ActorRef) ctx.messageAdapter(Replicator.UpdateResponse.class, r -> Written.INSTANCE);
    this.selfAddress = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
    this.settings = settings;
    this.replication = new ReplicationPlanner(settings.replication(), settings.allocation());
    this.scaling = new ScalingPlanner(settings.scaling(), settings.pendingTimeout());
    this.provisioner = provisioner;
    this.metrics = metrics;
    this.cluster = Cluster.get(ctx.getSystem());
    ctx.getLog().info("cluster supervisor started on {} (provisioner: {})", cluster.selfMember().address(),
        provisioner == null ? "none" : provisioner.name());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Tick.class, t -> onTick())
        .onMessage(DataChanged.class, this::onData)
        .onMessage(Written.class, w -> this)
        .onMessage(Provisioned.class, this::onProvisioned)
        .onMessage(SetReplicas.class, this::onSetReplicas)
        .onMessage(MoveAdapter.class, this::onMoveAdapter)
        .onMessage(Rebalance.class, this::onRebalance)
        .onMessage(GetStatus.class, g -> {
          g.replyTo().tell(status());
          return this;
        })
        .onSignal(PostStop.class, s -> {
          // Nodes it started stay members; a new supervisor elsewhere manages the fleet from now on.
          return this;
        })
        .build();
  }

  // ------------------------------------------------------------------ the fleet now

  @SuppressWarnings("unchecked")
  private Behavior<Command> onData(DataChanged d) {
    if (d.rsp() instanceof Replicator.Changed<?> ch) {
      if (ch.key().equals(FleetKeys.LOADS)) {
        announcements = Map.copyOf(((LWWMap<String, NodeAnnouncement>) ch.dataValue()).getEntries());
      } else if (ch.key().equals(FleetKeys.PLACEMENTS)) {
        placements = Map.copyOf(((LWWMap<String, AdapterPlacement>) ch.dataValue()).getEntries());
      }
    }
    return this;
  }

  private Set<String> liveMembers() {
    Set<String> unreachable = new HashSet<>();
    for (Member m : cluster.state().getUnreachable()) {
      unreachable.add(m.address().toString());
    }
    Set<String> up = new HashSet<>();
    for (Member m : cluster.state().getMembers()) {
      String a = m.address().toString();
      if ((m.status() == MemberStatus.up() || m.status() == MemberStatus.weaklyUp()) && !unreachable.contains(a)) {
        up.add(a);
      }
    }
    return up;
  }

  private List<NodeAnnouncement> serving() {
    Set<String> live = liveMembers();
    return announcements.values().stream().filter(a -> live.contains(a.node()))
        .sorted(Comparator.comparing(NodeAnnouncement::node)).toList();
  }

  private static List<NodeLoad> loads(List<NodeAnnouncement> serving) {
    return serving.stream().map(a -> a.toLoad(0)).toList();
  }

  /** The placements as the planner sees them. */
  private Map<String, ReplicaPlacement> planned() {
    Map<String, ReplicaPlacement> out = new HashMap<>();
    placements.forEach((adapter, p) -> out.put(adapter, new ReplicaPlacement(p.replicas(), p.nodeList(), p.reason(),
        p.manual())));
    return out;
  }

  // ------------------------------------------------------------------ decisions

  private void decide(String kind, String subject, String reason) {
    Decision d = new Decision(System.currentTimeMillis(), kind, subject, reason);
    decisions.addLast(d);
    while (decisions.size() > settings.keptDecisions()) {
      decisions.removeFirst();
    }
    metrics.supervisorDecision(kind);
    getContext().getLog().info("supervisor decision: {} {}: {}", kind, subject, reason);
  }

  private Behavior<Command> onTick() {
    List<NodeAnnouncement> serving = serving();
    List<NodeLoad> loads = loads(serving);
    long now = System.currentTimeMillis();
    ReplicationPlanner.Plan plan = replication.replicate(loads, planned(), replicaStates, now);
    replicaStates = plan.states();
    plan.changes().forEach(c -> apply(serving, c));
    scale(serving, loads, now);
    int live = (int) loads.stream().filter(NodeLoad::accepting).count();
    int desired = scalingState.desired();
    metrics.clusterNodes(live, desired == 0 ? live : desired, scalingState.pending());
    return this;
  }

  /** Carries out one change of the planner: the placement written (or removed), the decision, the unloads. */
  private void apply(List<NodeAnnouncement> serving, ReplicationPlanner.Change c) {
    if (c.placement() == null) {
      remove(c.adapter());
    } else {
      ReplicaPlacement p = c.placement();
      write(c.adapter(), new AdapterPlacement(p.replicas(), p.nodes().toArray(String[]::new), p.reason(), p.manual()));
    }
    if (c.kind() != null) {
      decide(c.kind(), c.adapter(), c.detail());
    }
    drop(serving, c.adapter(), c.unload());
  }

  /** Tells the nodes no longer placed for an adapter to unload it (cold replicas). */
  private static void drop(List<NodeAnnouncement> serving, String adapter, List<String> nodes) {
    for (NodeAnnouncement a : serving) {
      if (nodes.contains(a.node())) {
        a.service().tell(new GenerationService.DropAdapter(adapter));
      }
    }
  }

  private void write(String adapter, AdapterPlacement p) {
    Map<String, AdapterPlacement> copy = new HashMap<>(placements);
    copy.put(adapter, p);
    placements = Map.copyOf(copy);
    replicator.tell(new Replicator.Update<>(FleetKeys.PLACEMENTS, LWWMap.create(), Replicator.writeLocal(), written,
        m -> m.put(selfAddress, adapter, p)));
  }

  private void remove(String adapter) {
    Map<String, AdapterPlacement> copy = new HashMap<>(placements);
    copy.remove(adapter);
    placements = Map.copyOf(copy);
    replicator.tell(new Replicator.Update<>(FleetKeys.PLACEMENTS, LWWMap.create(), Replicator.writeLocal(), written,
        m -> m.remove(selfAddress, adapter)));
  }

  private void scale(List<NodeAnnouncement> serving, List<NodeLoad> loads, long now) {
    if (provisioner == null) {
      return;
    }
    // No announcement seen yet (this supervisor just started): the planner judges nothing.
    ScalingPlanner.Plan plan = scaling.plan(loads, provisioner::canRemove, scalingState, now);
    scalingState = plan.state();
    for (ScalingPlanner.Action a : plan.actions()) {
      switch (a) {
        case ScalingPlanner.AddTimedOut t -> decide("scale-out-timeout", "fleet", t.reason());
        case ScalingPlanner.AddNode add -> {
          decide("scale-out", "fleet", add.reason());
          getContext().pipeToSelf(provisioner.addNode(), (ok, err) -> new Provisioned("add", "fleet", ok, err));
        }
        case ScalingPlanner.RemoveNode rm -> {
          decide("scale-in", rm.node(), rm.reason());
          serving.stream().filter(x -> x.node().equals(rm.node())).findFirst()
              .ifPresent(x -> x.service().tell(new GenerationService.Drain("scale-in by the cluster supervisor")));
          getContext().pipeToSelf(provisioner.removeNode(rm.node()),
              (ok, err) -> new Provisioned("remove", rm.node(), ok, err));
        }
      }
    }
  }

  private Behavior<Command> onProvisioned(Provisioned p) {
    boolean failed = p.failure() != null;
    if (failed) {
      decide(p.kind() + "-failed", p.subject(), String.valueOf(p.failure().getMessage()));
    } else {
      getContext().getLog().info("provisioner: {} {}: {}", p.kind(), p.subject(), p.outcome());
    }
    scalingState = p.kind().equals("add") ? scaling.added(scalingState, failed)
        : scaling.removed(scalingState, p.subject(), failed);
    return this;
  }

  // ------------------------------------------------------------------ admin

  private Behavior<Command> onSetReplicas(SetReplicas s) {
    List<NodeAnnouncement> serving = serving();
    ReplicationPlanner.Plan plan;
    try {
      plan = replication.setReplicas(s.adapter(), s.count(), loads(serving), planned(), replicaStates);
    } catch (IllegalArgumentException e) {
      s.replyTo().tell(new PlacementResult(s.adapter(), new String[0], e.getMessage()));
      return this;
    }
    replicaStates = plan.states();
    plan.changes().forEach(c -> apply(serving, c));
    s.replyTo().tell(new PlacementResult(s.adapter(), plan.changes().getFirst().placement().nodes()
        .toArray(String[]::new), null));
    return this;
  }

  private Behavior<Command> onMoveAdapter(MoveAdapter m) {
    List<NodeAnnouncement> serving = serving();
    ReplicationPlanner.Change c;
    try {
      c = replication.move(m.adapter(), m.to(), loads(serving), planned());
    } catch (IllegalArgumentException e) {
      m.replyTo().tell(new PlacementResult(m.adapter(), new String[0], e.getMessage()));
      return this;
    }
    apply(serving, c);
    m.replyTo().tell(new PlacementResult(m.adapter(), new String[] {m.to()}, null));
    return this;
  }

  private Behavior<Command> onRebalance(Rebalance r) {
    List<NodeAnnouncement> serving = serving();
    List<ReplicationPlanner.Change> changes = replication.rebalance(loads(serving), planned());
    changes.forEach(c -> apply(serving, c));
    List<String> described = changes.stream().map(c -> c.adapter() + ": " + c.detail()).toList();
    decide("admin-rebalance", "fleet", described.isEmpty() ? "nothing to move" : String.join("; ", described));
    r.replyTo().tell(new RebalanceResult(described.toArray(String[]::new)));
    return this;
  }

  private Status status() {
    int live = (int) serving().stream().filter(NodeAnnouncement::accepting).count();
    int desired = scalingState.desired();
    return new Status(cluster.selfMember().address().toString(), provisioner == null ? "none" : provisioner.name(),
        live, desired == 0 ? live : desired, scalingState.pending(),
        provisioner == null ? new String[0] : provisioner.nodes().toArray(String[]::new),
        decisions.toArray(Decision[]::new));
  }
}
