package io.lorafleet.tools.simulation;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lorafleet.actors.node.FleetSettings;
import io.lorafleet.actors.placement.AllocationPolicy;
import io.lorafleet.actors.placement.NodeCapacity;
import io.lorafleet.actors.placement.NodeLoad;
import io.lorafleet.actors.placement.ReplicaPlacement;
import io.lorafleet.actors.placement.ReplicationPlanner;
import io.lorafleet.actors.placement.ReplicationPolicy;
import io.lorafleet.actors.placement.RoutingPolicy;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * LoraFleet's policies in the simulator, and the one place that turns simulator state into the inputs of
 * the real placement classes ({@code io.lorafleet.actors.placement}) and their answers back into simulator
 * actions. It plays the parts the cluster's actors play around those classes:
 *
 * <ul>
 *   <li>the load reporters: every node announces a {@link NodeLoad} every {@code announceSeconds}, which
 *       reaches the routers {@code gossipSeconds} later (Distributed Data);</li>
 *   <li>the routers: every node routes the requests it receives with {@link RoutingPolicy#choose}, over the
 *       announced loads plus the requests it sent itself to each node since that node's last announcement
 *       visible to it (as the fleet view counts them);</li>
 *   <li>the cluster supervisor: every {@code tickSeconds} it runs the supervisor's own
 *       {@link ReplicationPlanner} (fleet-wide rates, {@link ReplicationPolicy#decide} for replica counts,
 *       {@link AllocationPolicy#placeReplicas} for the nodes, starting from the adapter's rendezvous home) over
 *       the visible announcements, and replays its changes: adapters with one replica have no placement
 *       (routing sends them to their home), placements reach the routers {@code gossipSeconds} after the
 *       supervisor writes them (Distributed Data too), the nodes a replica left unload it at once.</li>
 * </ul>
 *
 * <p>One shortcut keeps routing fast without changing any answer: a request whose placement nodes include
 * one with room is routed over the loads of its placement nodes only (the policy only looks further when
 * none of them has room). Shard allocation and scaling ({@code ScalingPlanner}) do not run: the simulated
 * fleet has a fixed size and every node accepts.
 */
public final class LoraFleetPlacement implements FleetPolicy {

  /**
   * The policies and the timing of the cluster around them.
   *
   * @param routing           which node serves a request
   * @param replication       replica counts from request rates
   * @param allocation        where replicas go
   * @param announceSeconds   how often a node announces its load
   * @param gossipSeconds     how long an announcement takes to reach the routers
   * @param rateWindowSeconds averaging window of the announced per-adapter rates
   * @param tickSeconds       how often the supervisor decides
   */
  public record Settings(RoutingPolicy routing, ReplicationPolicy replication, AllocationPolicy allocation,
      double announceSeconds, double gossipSeconds, double rateWindowSeconds, double tickSeconds) {
    public Settings {
      if (!(announceSeconds > 0) || gossipSeconds < 0 || !(rateWindowSeconds > 0) || !(tickSeconds > 0)) {
        throw new IllegalArgumentException("invalid cluster timing");
      }
    }

    /**
     * The settings a serving node reads from {@code config} (its {@code lorafleet.cluster} block, through
     * {@link FleetSettings#from}, the same code as {@code serve}): routing, replication, allocation,
     * announcement interval, rate window and supervisor tick; {@code gossipSeconds}: how long an announcement
     * takes to reach the routers (Distributed Data gossip, not a setting of the node's).
     */
    public static Settings from(Config config, double gossipSeconds) {
      FleetSettings f = FleetSettings.from(config);
      return new Settings(f.routing(), f.supervisor().replication(), f.allocation(),
          seconds(f.announceInterval()), gossipSeconds, seconds(f.rateWindow()), seconds(f.supervisor().tick()));
    }

    /** What a node runs with no cluster profile: the {@code reference.conf} defaults, with 1 s of gossip. */
    public static Settings shipped() {
      return from(ConfigFactory.load(), 1.0);
    }

    private static double seconds(Duration d) {
      return d.toNanos() / 1e9;
    }

    /** These settings with the given values replaced (null: kept). */
    public Settings with(Double roomPressure, Double loadingPenalty, Double ratePerReplica, Integer maxReplicas,
        Double gossipSeconds) {
      RoutingPolicy r = new RoutingPolicy(roomPressure != null ? roomPressure : routing.roomPressure(),
          loadingPenalty != null ? loadingPenalty : routing.loadingPenalty());
      ReplicationPolicy p = replication;
      ReplicationPolicy q = new ReplicationPolicy(ratePerReplica != null ? ratePerReplica : p.ratePerReplica(),
          p.dropFraction(), p.minReplicas(), maxReplicas != null ? Math.max(p.minReplicas(), maxReplicas)
          : p.maxReplicas(), p.coolDownMillis());
      return new Settings(r, q, allocation, announceSeconds, gossipSeconds != null ? gossipSeconds : this.gossipSeconds,
          rateWindowSeconds, tickSeconds);
    }
  }

  /** An adapter's replica nodes: names in placement order (home first) and indexes in name order. */
  private record Placed(int replicas, List<String> nodes, int[] sorted) {}

  /** A placement the supervisor wrote ({@code placed} null: removed), visible to the routers at {@code due}. */
  private record Written(double due, int adapter, Placed placed) {}

  private final Settings settings;
  private final String[] names;
  private final Map<String, Integer> indexOf = new HashMap<>();
  private final GpuNode[] nodes;
  private final AdapterPopulation catalog;
  private final double warmup;
  private final NodeCapacity capacity;
  private final NodeLoad[] visible;
  private final int[] visibleSeq;
  private final List<ArrayDeque<NodeLoad>> pending = new ArrayList<>();
  private final int[][] sentCount;
  private final int[][] sentSeq;
  private final int[] homes;
  /** The supervisor's placements (its own state, current). */
  private final Map<String, ReplicaPlacement> placements = new HashMap<>();
  /** The placements as the routers see them: the supervisor's, {@code gossipSeconds} later. */
  private final Map<Integer, Placed> routed = new HashMap<>();
  private final ArrayDeque<Written> inFlight = new ArrayDeque<>();
  private final ReplicationPlanner planner;
  private Map<String, ReplicationPolicy.State> states = Map.of();
  private final SplittableRandom random;

  private long measured;
  private long spilled;
  private long placementChanges;
  private int peakReplicated;
  private int peakReplicas;
  private int peakLargest;

  /**
   * @param homes every adapter's rendezvous home ({@link #homes}), shared read-only between runs
   */
  LoraFleetPlacement(Settings settings, GpuNodeModel model, String[] names, GpuNode[] nodes, AdapterPopulation catalog,
      int[] homes, double warmup, long seed) {
    this.settings = settings;
    this.planner = new ReplicationPlanner(settings.replication(), settings.allocation());
    this.names = names;
    this.nodes = nodes;
    this.catalog = catalog;
    this.warmup = warmup;
    this.capacity = new NodeCapacity(model.deviceMemoryBytes(), model.adapterSlots(), model.maxBatch());
    this.visible = new NodeLoad[names.length];
    this.visibleSeq = new int[names.length];
    this.sentCount = new int[names.length][];
    this.sentSeq = new int[names.length][];
    for (int i = 0; i < names.length; i++) {
      indexOf.put(names[i], i);
      visible[i] = NodeLoad.idle(names[i], capacity);
      pending.add(new ArrayDeque<>());
    }
    this.homes = homes;
    this.random = new SplittableRandom(seed);
  }

  @Override
  public String name() {
    return "LoraFleet";
  }

  @Override
  public double announceSeconds() {
    return settings.announceSeconds();
  }

  @Override
  public double gossipSeconds() {
    return settings.gossipSeconds();
  }

  @Override
  public double rateWindowSeconds() {
    return settings.rateWindowSeconds();
  }

  @Override
  public double tickSeconds() {
    return settings.tickSeconds();
  }

  @Override
  public int route(int request, int adapter, int ingress, double now) {
    RoutingPolicy routing = settings.routing();
    while (!inFlight.isEmpty() && inFlight.peekFirst().due() <= now) {
      Written w = inFlight.pollFirst();
      if (w.placed() == null) {
        routed.remove(w.adapter());
      } else {
        routed.put(w.adapter(), w.placed());
      }
    }
    Placed p = routed.get(adapter);
    List<String> placement;
    List<NodeLoad> own;
    boolean room;
    int home = -1;
    if (p == null) {
      home = home(adapter);
      placement = List.of(names[home]);
      NodeLoad v = view(ingress, home);
      own = List.of(v);
      room = routing.hasRoom(v);
    } else {
      placement = p.nodes();
      own = new ArrayList<>(p.sorted().length);
      room = false;
      for (int i : p.sorted()) {
        NodeLoad v = view(ingress, i);
        own.add(v);
        room |= routing.hasRoom(v);
      }
    }
    List<NodeLoad> candidates = room ? own : allViews(ingress);
    Optional<String> chosen = routing.choose(catalog.id(adapter), candidates, placement, Set.of(), random);
    if (chosen.isEmpty()) {
      return -1;
    }
    int n = indexOf.get(chosen.get());
    int[] seq = sentSeq[ingress];
    if (seq == null) {
      seq = sentSeq[ingress] = new int[names.length];
      sentCount[ingress] = new int[names.length];
    }
    if (seq[n] != visibleSeq[n]) {
      seq[n] = visibleSeq[n];
      sentCount[ingress][n] = 0;
    }
    sentCount[ingress][n]++;
    if (now >= warmup) {
      measured++;
      boolean placed = p == null ? n == home : Arrays.binarySearch(p.sorted(), n) >= 0;
      if (!placed) {
        spilled++;
      }
    }
    return n;
  }

  /**
   * Every adapter's rendezvous home among the nodes ({@link RoutingPolicy#home}: all nodes accept and have
   * the same capacity, so the homes do not change during a run). Computed once, on all cores: it is a
   * thousand hash scores per adapter.
   */
  static int[] homes(String[] names, GpuNodeModel model, AdapterPopulation catalog) {
    NodeCapacity capacity = new NodeCapacity(model.deviceMemoryBytes(), model.adapterSlots(), model.maxBatch());
    List<NodeLoad> idle = Arrays.stream(names).map(n -> NodeLoad.idle(n, capacity)).toList();
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < names.length; i++) {
      index.put(names[i], i);
    }
    return java.util.stream.IntStream.range(0, catalog.size()).parallel()
        .map(a -> index.get(RoutingPolicy.home(catalog.id(a), idle).orElseThrow().node())).toArray();
  }

  private int home(int adapter) {
    return homes[adapter];
  }

  /** Node {@code i} as router {@code ingress} sees it: its visible announcement plus what it sent there since. */
  private NodeLoad view(int ingress, int i) {
    NodeLoad v = visible[i];
    int[] seq = sentSeq[ingress];
    if (seq == null || seq[i] != visibleSeq[i] || sentCount[ingress][i] == 0) {
      return v;
    }
    return v.withQueue(v.queueDepth() + sentCount[ingress][i], v.running());
  }

  private List<NodeLoad> allViews(int ingress) {
    List<NodeLoad> out = new ArrayList<>(names.length);
    for (int i = 0; i < names.length; i++) {
      out.add(view(ingress, i));
    }
    return out;
  }

  @Override
  public void announced(NodeSample s) {
    pending.get(s.node()).add(new NodeLoad(names[s.node()], capacity, s.queueDepth(), s.running(), s.resident(),
        s.rates(), true, s.servedRequests()));
  }

  @Override
  public void published(int node) {
    NodeLoad next = pending.get(node).poll();
    if (next != null) {
      visible[node] = next;
      visibleSeq[node]++;
    }
  }

  /**
   * The supervisor's replication round: the cluster supervisor's own planner ({@link ReplicationPlanner}) over
   * the announcements visible now and the supervisor's placements; its changes replayed here (placements reach
   * the routers {@code gossipSeconds} later, the nodes a replica left unload it at once).
   */
  @Override
  public void tick(double now) {
    ReplicationPlanner.Plan plan = planner.replicate(Arrays.asList(visible), placements, states,
        Math.round(now * 1000));
    states = plan.states();
    for (ReplicationPlanner.Change c : plan.changes()) {
      int a = catalog.indexOf(c.adapter());
      ReplicaPlacement p = c.placement();
      if (p == null) {
        placements.remove(c.adapter());
        inFlight.add(new Written(now + settings.gossipSeconds(), a, null));
      } else {
        placements.put(c.adapter(), p);
        int[] sorted = p.nodes().stream().mapToInt(indexOf::get).sorted().toArray();
        inFlight.add(new Written(now + settings.gossipSeconds(), a, new Placed(p.replicas(), p.nodes(), sorted)));
      }
      placementChanges++;
      for (String n : c.unload()) {
        nodes[indexOf.get(n)].drop(a);
      }
    }
    int replicas = 0;
    int largest = 0;
    for (ReplicaPlacement p : placements.values()) {
      replicas += p.nodes().size();
      largest = Math.max(largest, p.nodes().size());
    }
    peakReplicated = Math.max(peakReplicated, placements.size());
    peakReplicas = Math.max(peakReplicas, replicas);
    peakLargest = Math.max(peakLargest, largest);
  }

  @Override
  public Map<String, Object> extras() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("spillFraction", measured == 0 ? 0.0 : (double) spilled / measured);
    out.put("replicatedAdaptersPeak", peakReplicated);
    out.put("replicasPeak", peakReplicas);
    out.put("largestReplicaCountPeak", peakLargest);
    out.put("placementChanges", placementChanges);
    return out;
  }
}
