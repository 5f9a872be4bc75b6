package io.lorafleet.actors.cluster;

import io.lorafleet.actors.metrics.ServerMetrics;
import io.lorafleet.actors.placement.AllocationPolicy;
import io.lorafleet.actors.placement.NodeLoad;
import io.lorafleet.actors.placement.ReplicationPolicy;
import io.lorafleet.actors.placement.RoutingPolicy;
import io.lorafleet.actors.placement.ScalingPolicy;
import io.lorafleet.actors.routing.AdapterPlacement;
import io.lorafleet.actors.routing.FleetKeys;
import io.lorafleet.actors.routing.GenerationService;
import io.lorafleet.actors.routing.NodeAnnouncement;
import io.lorafleet.actors.serialization.CrossNode;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
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
 * The fleet's supervisor, a cluster singleton. Every tick it reads the nodes' announcements and: replicates
 * hot adapters ({@link ReplicationPolicy}: replica counts from the fleet-wide request rate per adapter, nodes
 * chosen by the {@link AllocationPolicy}; placements written to Distributed Data, where every node's router
 * reads them; dropped replicas are unloaded there), and scales the fleet ({@link ScalingPolicy}) through its
 * {@link Provisioner} — a scale-in drains the chosen node first. Admins move adapters, set replica counts
 * and ask for a rebalance through it. Every decision is logged, counted in the metrics and kept (the last
 * ones) for {@code GET /admin/cluster}.
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
  private Map<String, NodeAnnouncement> announcements = Map.of();
  private Map<String, AdapterPlacement> placements = Map.of();
  private final Map<String, ReplicationPolicy.State> replicaStates = new HashMap<>();
  private ScalingPolicy.State scalingState = ScalingPolicy.State.INITIAL;
  private int pending;
  private long pendingSince;
  private int pendingBase;
  private int desired;
  private final Set<String> drained = new HashSet<>();
  private final ArrayDeque<Decision> decisions = new ArrayDeque<>();

  @SuppressWarnings({"unchecked", "rawtypes"})
  private ClusterSupervisor(ActorContext<Command> ctx, Settings settings, Provisioner provisioner,
      ServerMetrics metrics) {
    super(ctx);
    this.replicator = DistributedData.get(ctx.getSystem()).replicator();
    this.written = (ActorRef) ctx.messageAdapter(Replicator.UpdateResponse.class, r -> Written.INSTANCE);
    this.selfAddress = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
    this.settings = settings;
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

  private Map<String, Integer> hosted() {
    Map<String, Integer> out = new HashMap<>();
    for (AdapterPlacement p : placements.values()) {
      for (String n : p.nodes()) {
        out.merge(n, 1, Integer::sum);
      }
    }
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
    replicate(serving, loads, now);
    scale(serving, loads, now);
    int live = (int) loads.stream().filter(NodeLoad::accepting).count();
    metrics.clusterNodes(live, desired == 0 ? live : desired, pending);
    return this;
  }

  private void replicate(List<NodeAnnouncement> serving, List<NodeLoad> loads, long now) {
    if (loads.isEmpty()) {
      return;
    }
    Set<String> liveNodes = new HashSet<>();
    loads.forEach(l -> liveNodes.add(l.node()));
    int accepting = (int) loads.stream().filter(NodeLoad::accepting).count();
    Map<String, Double> rates = RoutingPolicy.fleetRates(loads);
    Set<String> adapters = new TreeSet<>(rates.keySet());
    adapters.addAll(placements.keySet());
    Map<String, Integer> hosted = hosted();
    for (String adapter : adapters) {
      AdapterPlacement p = placements.get(adapter);
      double rate = rates.getOrDefault(adapter, 0.0);
      if (p != null && p.manual()) {
        if (!liveNodes.containsAll(p.nodeList()) || p.nodeList().stream().anyMatch(n -> !accepts(loads, n))) {
          List<String> nodes = settings.allocation().placeReplicas(adapter, p.replicas(), loads, p.nodeList(), hosted);
          if (!nodes.isEmpty() && !nodes.equals(p.nodeList())) {
            write(adapter, new AdapterPlacement(p.replicas(), nodes.toArray(String[]::new),
                p.reason() + "; replaced a gone node", true));
            decide("replace", adapter, "placed on " + nodes + " (a node of its manual placement left)");
          }
        }
        continue;
      }
      int current = p == null ? 1 : p.replicas();
      ReplicationPolicy.State state = replicaStates.getOrDefault(adapter, ReplicationPolicy.State.initial(current));
      if (state.replicas() != current) {
        state = ReplicationPolicy.State.initial(current);
      }
      ReplicationPolicy.State next = settings.replication().decide(state, rate, accepting, now);
      replicaStates.put(adapter, next);
      String why = String.format(java.util.Locale.ROOT, "%.1f req/s over the fleet, %.1f per replica", rate,
          settings.replication().ratePerReplica());
      if (next.replicas() <= 1) {
        if (p != null) {
          remove(adapter);
          decide("replicas", adapter, p.replicas() + " -> 1 (" + why + ")");
          drop(serving, adapter, p.nodeList().subList(1, p.nodeList().size()));
        }
        if (rate < 0.01) {
          replicaStates.remove(adapter);
        }
        continue;
      }
      List<String> currentNodes = p != null ? p.nodeList()
          : RoutingPolicy.home(adapter, loads.stream().filter(NodeLoad::accepting).toList())
              .map(h -> List.of(h.node())).orElse(List.of());
      List<String> nodes = settings.allocation().placeReplicas(adapter, next.replicas(), loads, currentNodes, hosted);
      if (p == null || !nodes.equals(p.nodeList())) {
        write(adapter, new AdapterPlacement(next.replicas(), nodes.toArray(String[]::new), why, false));
        decide("replicas", adapter, current + " -> " + next.replicas() + " on " + nodes + " (" + why + ")");
        List<String> dropped = new ArrayList<>(currentNodes);
        dropped.removeAll(nodes);
        drop(serving, adapter, dropped);
      }
    }
  }

  private static boolean accepts(List<NodeLoad> loads, String node) {
    return loads.stream().anyMatch(l -> l.node().equals(node) && l.accepting());
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
    if (provisioner == null || loads.isEmpty()) {
      // No announcement seen yet (this supervisor just started): nothing to judge the fleet by.
      return;
    }
    int live = (int) loads.stream().filter(NodeLoad::accepting).count();
    if (pending > 0 && (live > pendingBase || now - pendingSince > settings.pendingTimeout().toMillis())) {
      if (live <= pendingBase) {
        decide("scale-out-timeout", "fleet", "the requested node did not join within " + settings.pendingTimeout());
      }
      pending = 0;
    }
    ScalingPolicy.Decision d = settings.scaling().decide(loads, pending, scalingState, now);
    scalingState = d.state();
    switch (d.action()) {
      case HOLD -> { }
      case SCALE_OUT -> {
        pending = 1;
        pendingSince = now;
        pendingBase = live;
        desired = d.targetNodes();
        decide("scale-out", "fleet", "to " + d.targetNodes() + " nodes: " + d.reason());
        getContext().pipeToSelf(provisioner.addNode(), (ok, err) -> new Provisioned("add", "fleet", ok, err));
      }
      case SCALE_IN -> {
        String victim = loads.stream().filter(l -> l.accepting() && provisioner.canRemove(l.node())
                && !drained.contains(l.node()))
            .min(Comparator.comparingDouble(NodeLoad::pressure).thenComparing(NodeLoad::node, Comparator.reverseOrder()))
            .map(NodeLoad::node).orElse(null);
        if (victim == null) {
          return;
        }
        desired = d.targetNodes();
        drained.add(victim);
        decide("scale-in", victim, "to " + d.targetNodes() + " nodes: " + d.reason());
        serving.stream().filter(a -> a.node().equals(victim)).findFirst()
            .ifPresent(a -> a.service().tell(new GenerationService.Drain("scale-in by the cluster supervisor")));
        getContext().pipeToSelf(provisioner.removeNode(victim), (ok, err) -> new Provisioned("remove", victim, ok, err));
      }
    }
  }

  private Behavior<Command> onProvisioned(Provisioned p) {
    if (p.failure() != null) {
      decide(p.kind() + "-failed", p.subject(), String.valueOf(p.failure().getMessage()));
      if (p.kind().equals("add")) {
        pending = 0;
      }
    } else {
      getContext().getLog().info("provisioner: {} {}: {}", p.kind(), p.subject(), p.outcome());
      if (p.kind().equals("remove")) {
        drained.remove(p.subject());
      }
    }
    return this;
  }

  // ------------------------------------------------------------------ admin

  private Behavior<Command> onSetReplicas(SetReplicas s) {
    List<NodeLoad> loads = loads(serving());
    long accepting = loads.stream().filter(NodeLoad::accepting).count();
    if (s.count() < 1 || s.count() > accepting) {
      s.replyTo().tell(new PlacementResult(s.adapter(), new String[0], "count must be between 1 and the "
          + accepting + " serving nodes, got " + s.count()));
      return this;
    }
    AdapterPlacement p = placements.get(s.adapter());
    List<String> current = p != null ? p.nodeList() : RoutingPolicy.home(s.adapter(),
        loads.stream().filter(NodeLoad::accepting).toList()).map(h -> List.of(h.node())).orElse(List.of());
    List<String> nodes = settings.allocation().placeReplicas(s.adapter(), s.count(), loads, current, hosted());
    write(s.adapter(), new AdapterPlacement(s.count(), nodes.toArray(String[]::new), "admin: " + s.count()
        + " replicas", true));
    replicaStates.put(s.adapter(), ReplicationPolicy.State.initial(s.count()));
    decide("admin-replicas", s.adapter(), s.count() + " replicas on " + nodes);
    List<String> dropped = new ArrayList<>(current);
    dropped.removeAll(nodes);
    drop(serving(), s.adapter(), dropped);
    s.replyTo().tell(new PlacementResult(s.adapter(), nodes.toArray(String[]::new), null));
    return this;
  }

  private Behavior<Command> onMoveAdapter(MoveAdapter m) {
    List<NodeAnnouncement> serving = serving();
    if (serving.stream().noneMatch(a -> a.node().equals(m.to()) && a.accepting())) {
      m.replyTo().tell(new PlacementResult(m.adapter(), new String[0], "node " + m.to()
          + " is not a serving member accepting work"));
      return this;
    }
    AdapterPlacement p = placements.get(m.adapter());
    List<String> before = new ArrayList<>();
    if (p != null) {
      before.addAll(p.nodeList());
    }
    for (NodeAnnouncement a : serving) {
      if (Arrays.asList(a.residentAdapters()).contains(m.adapter()) && !before.contains(a.node())) {
        before.add(a.node());
      }
    }
    write(m.adapter(), new AdapterPlacement(1, new String[] {m.to()}, "admin: moved to " + m.to(), true));
    decide("admin-move", m.adapter(), "to " + m.to() + " (was on " + before + ")");
    before.remove(m.to());
    drop(serving, m.adapter(), before);
    m.replyTo().tell(new PlacementResult(m.adapter(), new String[] {m.to()}, null));
    return this;
  }

  private Behavior<Command> onRebalance(Rebalance r) {
    List<NodeAnnouncement> serving = serving();
    List<NodeLoad> loads = loads(serving);
    List<String> changes = new ArrayList<>();
    Map<String, Integer> hosted = new HashMap<>();
    for (var e : new TreeSet<>(placements.keySet())) {
      AdapterPlacement p = placements.get(e);
      List<String> nodes = settings.allocation().placeReplicas(e, p.replicas(), loads, List.of(), hosted);
      nodes.forEach(n -> hosted.merge(n, 1, Integer::sum));
      if (!nodes.equals(p.nodeList()) && !nodes.isEmpty()) {
        write(e, new AdapterPlacement(p.replicas(), nodes.toArray(String[]::new), "rebalanced", p.manual()));
        changes.add(e + ": " + p.nodeList() + " -> " + nodes);
        List<String> dropped = new ArrayList<>(p.nodeList());
        dropped.removeAll(nodes);
        drop(serving, e, dropped);
      }
    }
    decide("admin-rebalance", "fleet", changes.isEmpty() ? "nothing to move" : String.join("; ", changes));
    r.replyTo().tell(new RebalanceResult(changes.toArray(String[]::new)));
    return this;
  }

  private Status status() {
    int live = (int) serving().stream().filter(NodeAnnouncement::accepting).count();
    return new Status(cluster.selfMember().address().toString(), provisioner == null ? "none" : provisioner.name(),
        live, desired == 0 ? live : desired, pending,
        provisioner == null ? new String[0] : provisioner.nodes().toArray(String[]::new),
        decisions.toArray(Decision[]::new));
  }
}
