package io.lorafleet.actors.routing;

import io.lorafleet.actors.placement.NodeLoad;
import io.lorafleet.actors.placement.RoutingPolicy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * This node's view of the fleet: the serving nodes' announcements, the adapter placements, and which
 * members are up and reachable. Routes requests with the {@link RoutingPolicy} (counting the requests it
 * sent to a node since that node's last announcement as queued there, so a burst does not herd onto one
 * node), and tells watchers when a node they wait on becomes unreachable or leaves.
 */
public final class FleetView extends AbstractBehavior<FleetView.Command> {
  /** Messages of the view. */
  public interface Command {}

  /** Which node should serve a request; {@code excluded} nodes already failed it. */
  public record Route(String adapterId, Set<String> excluded, ActorRef<RouteDecision> replyTo) implements Command {}

  /**
   * Answer to {@link Route}: {@code node} null when no node can take it.
   *
   * @param local whether the node is this one
   */
  public record RouteDecision(String node, ActorRef<GenerationService.Command> service, boolean local) {}

  public record GetSnapshot(ActorRef<Snapshot> replyTo) implements Command {}

  /**
   * The view now.
   *
   * @param self        this node's address
   * @param serving     announcements of the serving nodes that are up and reachable
   * @param placements  adapter placements
   * @param members     every member: address, status, roles, reachable
   */
  public record Snapshot(String self, List<NodeAnnouncement> serving, Map<String, AdapterPlacement> placements,
      List<MemberView> members) {
    public List<NodeLoad> loads() {
      return serving.stream().map(a -> a.toLoad(0)).toList();
    }

    public Optional<NodeAnnouncement> announcement(String node) {
      return serving.stream().filter(a -> a.node().equals(node)).findFirst();
    }
  }

  public record MemberView(String address, String status, Set<String> roles, boolean reachable) {}

  /** Tell {@code watcher} once when {@code node} becomes unreachable or leaves. */
  public record WatchNode(String node, ActorRef<NodeLost> watcher) implements Command {}

  public record UnwatchNode(String node, ActorRef<NodeLost> watcher) implements Command {}

  public record NodeLost(String node) {}

  private record DataChanged(Replicator.SubscribeResponse<?> rsp) implements Command {}

  private record MembershipChanged(Object event) implements Command {
    static final MembershipChanged TICK = new MembershipChanged(null);
  }

  private static final java.time.Duration MEMBERSHIP_REFRESH = java.time.Duration.ofMillis(300);

  /**
   * @param localService this node's service when it serves (also used before its first announcement is
   *                     seen), or null on an ingress-only node
   */
  public static Behavior<Command> create(RoutingPolicy policy, ActorRef<GenerationService.Command> localService) {
    return Behaviors.setup(ctx -> {
      FleetKeys.subscribe(ctx, DataChanged::new, FleetKeys.LOADS, FleetKeys.PLACEMENTS);
      Cluster cluster = Cluster.get(ctx.getSystem());
      cluster.subscriptions().tell(Subscribe.create(
          ctx.messageAdapter(ClusterEvent.MemberEvent.class, MembershipChanged::new), ClusterEvent.MemberEvent.class));
      cluster.subscriptions().tell(Subscribe.create(
          ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class, MembershipChanged::new),
          ClusterEvent.ReachabilityEvent.class));
      return Behaviors.<Command>withTimers(timers -> {
        // Cluster events trigger a refresh, but the cluster's state snapshot may lag the event: refresh often.
        timers.startTimerWithFixedDelay(MembershipChanged.TICK, MEMBERSHIP_REFRESH);
        return new FleetView(ctx, policy, localService);
      });
    });
  }

  private final RoutingPolicy policy;
  private final ActorRef<GenerationService.Command> localService;
  private final Cluster cluster;
  private final String self;
  private final SplittableRandom random = new SplittableRandom();
  private Map<String, NodeAnnouncement> announcements = Map.of();
  private Map<String, AdapterPlacement> placements = Map.of();
  /** Requests routed to a node since its announcement with the given sequence. */
  private final Map<String, long[]> sentSince = new HashMap<>();
  private Set<String> live = Set.of();
  private final Map<String, Set<ActorRef<NodeLost>>> watchers = new HashMap<>();

  private FleetView(ActorContext<Command> ctx, RoutingPolicy policy, ActorRef<GenerationService.Command> localService) {
    super(ctx);
    this.policy = policy;
    this.localService = localService;
    this.cluster = Cluster.get(ctx.getSystem());
    this.self = cluster.selfMember().address().toString();
    refreshMembers();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Route.class, this::onRoute)
        .onMessage(GetSnapshot.class, g -> {
          g.replyTo().tell(snapshot());
          return this;
        })
        .onMessage(WatchNode.class, this::onWatch)
        .onMessage(UnwatchNode.class, u -> {
          Set<ActorRef<NodeLost>> w = watchers.get(u.node());
          if (w != null && w.remove(u.watcher()) && w.isEmpty()) {
            watchers.remove(u.node());
          }
          return this;
        })
        .onMessage(DataChanged.class, this::onData)
        .onMessage(MembershipChanged.class, m -> {
          refreshMembers();
          return this;
        })
        .build();
  }

  @SuppressWarnings("unchecked")
  private Behavior<Command> onData(DataChanged d) {
    if (!(d.rsp() instanceof Replicator.Changed<?> ch)) {
      return this;
    }
    if (ch.key().equals(FleetKeys.LOADS)) {
      announcements = Map.copyOf(((LWWMap<String, NodeAnnouncement>) ch.dataValue()).getEntries());
      for (NodeAnnouncement a : announcements.values()) {
        long[] s = sentSince.get(a.node());
        if (s != null && s[0] != a.sequence()) {
          sentSince.remove(a.node());
        }
      }
    } else if (ch.key().equals(FleetKeys.PLACEMENTS)) {
      placements = Map.copyOf(((LWWMap<String, AdapterPlacement>) ch.dataValue()).getEntries());
    }
    return this;
  }

  /** Members that are up and reachable, from the cluster's current state. */
  private void refreshMembers() {
    ClusterEvent.CurrentClusterState state = cluster.state();
    Set<String> unreachable = new HashSet<>();
    for (Member m : state.getUnreachable()) {
      unreachable.add(m.address().toString());
    }
    Set<String> up = new HashSet<>();
    for (Member m : state.getMembers()) {
      String a = m.address().toString();
      if ((m.status() == MemberStatus.up() || m.status() == MemberStatus.weaklyUp()) && !unreachable.contains(a)) {
        up.add(a);
      }
    }
    live = up;
    for (String node : new ArrayList<>(watchers.keySet())) {
      if (!up.contains(node)) {
        for (ActorRef<NodeLost> w : watchers.remove(node)) {
          w.tell(new NodeLost(node));
        }
      }
    }
  }

  private Behavior<Command> onWatch(WatchNode w) {
    if (!live.contains(w.node())) {
      w.watcher().tell(new NodeLost(w.node()));
    } else {
      watchers.computeIfAbsent(w.node(), n -> new HashSet<>()).add(w.watcher());
    }
    return this;
  }

  /** Serving announcements of live members (this node's own is assumed idle until it is seen). */
  private List<NodeAnnouncement> serving() {
    List<NodeAnnouncement> out = new ArrayList<>();
    for (NodeAnnouncement a : announcements.values()) {
      if (live.contains(a.node())) {
        out.add(a);
      }
    }
    return out;
  }

  private Behavior<Command> onRoute(Route r) {
    List<NodeAnnouncement> serving = serving();
    if (serving.isEmpty()) {
      boolean selfOk = localService != null && !r.excluded().contains(self);
      r.replyTo().tell(selfOk ? new RouteDecision(self, localService, true) : new RouteDecision(null, null, false));
      return this;
    }
    List<NodeLoad> loads = new ArrayList<>();
    for (NodeAnnouncement a : serving) {
      long[] s = sentSince.get(a.node());
      loads.add(a.toLoad(s == null ? 0 : (int) s[1]));
    }
    AdapterPlacement p = r.adapterId() == null ? null : placements.get(r.adapterId());
    Optional<String> chosen = policy.choose(r.adapterId(), loads, p == null ? List.of() : p.nodeList(), r.excluded(),
        random);
    if (chosen.isEmpty()) {
      r.replyTo().tell(new RouteDecision(null, null, false));
      return this;
    }
    NodeAnnouncement a = announcements.get(chosen.get());
    sentSince.computeIfAbsent(a.node(), n -> new long[] {a.sequence(), 0})[1]++;
    boolean local = a.node().equals(self);
    r.replyTo().tell(new RouteDecision(a.node(), local && localService != null ? localService : a.service(), local));
    return this;
  }

  private Snapshot snapshot() {
    List<MemberView> members = new ArrayList<>();
    ClusterEvent.CurrentClusterState state = cluster.state();
    Set<String> unreachable = new HashSet<>();
    for (Member m : state.getUnreachable()) {
      unreachable.add(m.address().toString());
    }
    for (Member m : state.getMembers()) {
      String a = m.address().toString();
      members.add(new MemberView(a, m.status().toString(), Set.copyOf(m.getRoles()), !unreachable.contains(a)));
    }
    return new Snapshot(self, serving(), new TreeMap<>(placements), members);
  }
}
