package io.lorafleet.actors.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafleet.actors.adapters.AdapterEntity;
import io.lorafleet.actors.cluster.ClusterSupervisor;
import io.lorafleet.actors.placement.NodeLoad;
import io.lorafleet.actors.routing.AdapterPlacement;
import io.lorafleet.actors.routing.FleetView;
import io.lorafleet.actors.routing.GenerationService;
import io.lorafleet.actors.routing.NodeAnnouncement;
import io.lorafleet.runtime.errors.InvalidRequestException;
import io.lorafleet.runtime.errors.NotFoundException;
import io.lorafleet.runtime.errors.OverloadedException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * The cluster part of the admin API: {@code GET /admin/cluster} (members, roles, capacity, load, adapters
 * and shards per node, placements, supervisor decisions), {@code POST /admin/rebalance} (now, or
 * {@code {"adapter","to"}} to move one adapter), {@code POST /admin/adapters/{id}/replicas {"count"}} and
 * {@code POST /admin/nodes/{address}/drain}.
 */
final class ClusterAdminApi {
  private static final Duration ASK = Duration.ofSeconds(10);

  private final NodeHandles node;

  ClusterAdminApi(NodeHandles node) {
    this.node = node;
  }

  private CompletionStage<FleetView.Snapshot> snapshot() {
    return AskPattern.ask(node.fleet().view(), FleetView.GetSnapshot::new, ASK, node.system().scheduler());
  }

  private org.apache.pekko.actor.typed.ActorRef<ClusterSupervisor.Command> supervisor() {
    if (node.fleet().supervisor() == null) {
      throw new NotFoundException("the cluster supervisor is off on this node (lorafleet.cluster.supervisor.enabled)");
    }
    return node.fleet().supervisor();
  }

  private CompletionStage<Optional<ClusterSupervisor.Status>> supervisorStatus() {
    if (node.fleet().supervisor() == null) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    CompletionStage<ClusterSupervisor.Status> f = AskPattern.ask(node.fleet().supervisor(),
        ClusterSupervisor.GetStatus::new, Duration.ofSeconds(3), node.system().scheduler());
    return f.thenApply(Optional::of).exceptionally(e -> Optional.empty());
  }

  private CompletionStage<Map<String, List<String>>> shards() {
    CompletionStage<ShardRegion.ClusterShardingStats> f = AskPattern.ask(
        ClusterSharding.get(node.system()).shardState(),
        replyTo -> new GetClusterShardingStats(AdapterEntity.TYPE_KEY, Duration.ofSeconds(3), replyTo),
        Duration.ofSeconds(5), node.system().scheduler());
    return f.thenApply(stats -> {
      Map<String, List<String>> out = new TreeMap<>();
      stats.getRegions().forEach((address, region) ->
          out.put(address.toString(), region.getStats().keySet().stream().sorted().toList()));
      return out;
    }).exceptionally(e -> Map.of());
  }

  CompletionStage<HttpResponse> cluster() {
    var snap = snapshot().toCompletableFuture();
    var sup = supervisorStatus().toCompletableFuture();
    var shards = shards().toCompletableFuture();
    return CompletableFuture.allOf(snap, sup, shards).thenApply(x -> {
      FleetView.Snapshot s = snap.join();
      Map<String, List<String>> shardMap = shards.join();
      ObjectNode o = HttpResponses.object();
      o.put("self", s.self());
      ArrayNode members = o.putArray("members");
      for (FleetView.MemberView m : s.members()) {
        ObjectNode j = members.addObject();
        j.put("address", m.address());
        j.put("status", m.status());
        ArrayNode roles = j.putArray("roles");
        m.roles().stream().filter(r -> !r.startsWith("dc-")).sorted().forEach(roles::add);
        j.put("reachable", m.reachable());
      }
      ArrayNode nodes = o.putArray("nodes");
      for (NodeAnnouncement a : s.serving()) {
        NodeLoad l = a.toLoad(0);
        ObjectNode j = nodes.addObject();
        j.put("node", a.node());
        j.put("http", a.httpUrl());
        j.put("accepting", a.accepting());
        j.put("protocol_version", a.protocolVersion());
        ObjectNode cap = j.putObject("capacity");
        cap.put("device_memory_bytes", a.deviceMemoryBytes());
        cap.put("adapter_slots", a.adapterSlots());
        cap.put("max_batch", a.maxBatch());
        ObjectNode load = j.putObject("load");
        load.put("queue_depth", a.queueDepth());
        load.put("running", a.running());
        load.put("occupancy", l.occupancy());
        load.put("pressure", l.pressure());
        load.put("served_requests", a.servedRequests());
        ArrayNode resident = j.putArray("resident_adapters");
        for (String r : a.residentAdapters()) {
          resident.add(r);
        }
        ObjectNode rates = j.putObject("adapter_rates");
        new TreeMap<>(l.adapterRates()).forEach(rates::put);
        ArrayNode sh = j.putArray("shards");
        shardMap.getOrDefault(a.node(), List.of()).forEach(sh::add);
      }
      ObjectNode placements = o.putObject("placements");
      s.placements().forEach((id, p) -> placements.set(id, placementJson(p)));
      ObjectNode shardsJson = o.putObject("shards");
      shardMap.forEach((n, ids) -> {
        ArrayNode arr = shardsJson.putArray(n);
        ids.forEach(arr::add);
      });
      sup.join().ifPresentOrElse(st -> o.set("supervisor", supervisorJson(st)), () -> o.putNull("supervisor"));
      return HttpResponses.json(o);
    });
  }

  private static ObjectNode placementJson(AdapterPlacement p) {
    ObjectNode j = HttpResponses.object();
    j.put("replicas", p.replicas());
    ArrayNode n = j.putArray("nodes");
    for (String x : p.nodes()) {
      n.add(x);
    }
    j.put("reason", p.reason());
    j.put("manual", p.manual());
    return j;
  }

  private static ObjectNode supervisorJson(ClusterSupervisor.Status st) {
    ObjectNode j = HttpResponses.object();
    j.put("node", st.node());
    j.put("provisioner", st.provisioner());
    j.put("live_nodes", st.liveNodes());
    j.put("desired_nodes", st.desiredNodes());
    j.put("pending_nodes", st.pendingNodes());
    ArrayNode managed = j.putArray("managed");
    for (String m : st.managed()) {
      managed.add(m);
    }
    ArrayNode ds = j.putArray("decisions");
    for (ClusterSupervisor.Decision d : st.decisions()) {
      ObjectNode x = ds.addObject();
      x.put("at", Instant.ofEpochMilli(d.atMillis()).toString());
      x.put("kind", d.kind());
      x.put("subject", d.subject());
      x.put("reason", d.reason());
    }
    return j;
  }

  CompletionStage<HttpResponse> rebalance(RequestFields body) {
    String adapter = body.string("adapter");
    String to = body.string("to");
    if (adapter == null && to == null) {
      CompletionStage<ClusterSupervisor.RebalanceResult> f = AskPattern.ask(supervisor(), ClusterSupervisor.Rebalance::new,
          ASK, node.system().scheduler());
      return f.thenApply(r -> {
        ObjectNode o = HttpResponses.object();
        ArrayNode changes = o.putArray("changes");
        for (String c : r.changes()) {
          changes.add(c);
        }
        return HttpResponses.json(o);
      });
    }
    if (adapter == null || to == null) {
      throw new InvalidRequestException("give both \"adapter\" and \"to\" (a node address), or neither");
    }
    return snapshot().thenCompose(s -> {
      String target = resolveNode(s, to).orElseThrow(() -> new CompletionException(
          new NotFoundException("no serving node " + to + " (see GET /admin/cluster)")));
      CompletionStage<ClusterSupervisor.PlacementResult> f = AskPattern.ask(supervisor(),
          replyTo -> new ClusterSupervisor.MoveAdapter(adapter, target, replyTo), ASK, node.system().scheduler());
      return f.thenApply(this::placementResponse);
    });
  }

  CompletionStage<HttpResponse> replicas(String id, RequestFields body) {
    Integer count = body.integer("count");
    if (count == null) {
      throw new InvalidRequestException("field \"count\" is required");
    }
    CompletionStage<ClusterSupervisor.PlacementResult> f = AskPattern.ask(supervisor(),
        replyTo -> new ClusterSupervisor.SetReplicas(id, count, replyTo), ASK, node.system().scheduler());
    return f.thenApply(this::placementResponse);
  }

  private HttpResponse placementResponse(ClusterSupervisor.PlacementResult r) {
    if (r.error() != null) {
      throw new InvalidRequestException(r.error());
    }
    ObjectNode o = HttpResponses.object();
    o.put("adapter", r.adapter());
    ArrayNode n = o.putArray("nodes");
    for (String x : r.nodes()) {
      n.add(x);
    }
    return HttpResponses.json(o);
  }

  /** A node named by its cluster address, its {@code host:port} (Artery) or its HTTP URL. */
  private static Optional<String> resolveNode(FleetView.Snapshot s, String name) {
    String n = URLDecoder.decode(name, StandardCharsets.UTF_8);
    Map<String, String> byName = new HashMap<>();
    for (NodeAnnouncement a : s.serving()) {
      byName.put(a.node(), a.node());
      byName.put(a.node().substring(a.node().indexOf('@') + 1), a.node());
      byName.put(a.httpUrl(), a.node());
    }
    return Optional.ofNullable(byName.get(n));
  }

  CompletionStage<HttpResponse> drain(String address) {
    return snapshot().thenApply(s -> {
      String target = resolveNode(s, address).orElseThrow(() -> new CompletionException(
          new NotFoundException("no serving node " + address + " (see GET /admin/cluster)")));
      NodeAnnouncement a = s.announcement(target).orElseThrow();
      if (!a.accepting()) {
        throw new CompletionException(new OverloadedException("node " + target + " is already draining"));
      }
      a.service().tell(new GenerationService.Drain("admin request"));
      ObjectNode o = HttpResponses.object();
      o.put("node", target);
      o.put("draining", true);
      return HttpResponses.json(202, o);
    });
  }
}
