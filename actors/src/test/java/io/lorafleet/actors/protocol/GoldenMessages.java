package io.lorafleet.actors.protocol;

import io.lorafleet.actors.adapters.AdapterEntity;
import io.lorafleet.actors.adapters.AdapterStore;
import io.lorafleet.actors.adapters.NodeResidency;
import io.lorafleet.actors.adapters.RegisteredAdapter;
import io.lorafleet.actors.adapters.Tier;
import io.lorafleet.actors.cluster.ClusterSupervisor;
import io.lorafleet.actors.routing.AdapterPlacement;
import io.lorafleet.actors.routing.GenerationService;
import io.lorafleet.actors.routing.NodeAnnouncement;
import io.lorafleet.actors.routing.RelayEvent;
import io.lorafleet.actors.routing.WireError;
import io.lorafleet.actors.routing.WireParams;
import io.lorafleet.actors.routing.WireResult;
import io.lorafleet.actors.routing.WireToken;
import io.lorafleet.actors.tenants.IssuedKey;
import io.lorafleet.runtime.engine.FinishReason;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/**
 * One fixed value of every cross-node type, as the golden files under {@code src/test/resources/protocol-golden}
 * hold them: the files of version N are these values as release N wrote them, and every later build must read
 * them back as these values (with the defaults of fields added since). When a type gains a field, its value here
 * keeps the default an old message reads as; a new type adds a value (and its files for the current version).
 */
final class GoldenMessages {
  private GoldenMessages() {}

  static final String NODE = "pekko://lorafleet@10.0.0.7:25520";
  /** Manifests of the types added in the current version (no golden file of an older version). */
  static final java.util.Set<String> ADDED_IN_CURRENT = java.util.Set.of("t.key");

  static List<Object> values(ActorRefResolver resolver) {
    ActorRef<Object> reply = resolver.resolveActorRef(NODE + "/temp/$a#1234");
    ActorRef<Object> store = resolver.resolveActorRef(NODE + "/user/node/adapter-store#-42");
    ActorRef<Object> service = resolver.resolveActorRef(NODE + "/user/node/generation-service#7");
    NodeResidency residency = new NodeResidency(NODE, store.unsafeUpcast(), Tier.DEVICE, 3, 1 << 20, 42,
        1_700_000_000_000L, null);
    NodeResidency failed = new NodeResidency("pekko://lorafleet@10.0.0.8:25520", null, Tier.DISK, 0, 0, 0, 0,
        "adapter_model.safetensors: truncated");
    WireParams params = new WireParams(24, 0.7, 5, 0.9, 1.1, true, 42, new String[] {"\n\n", "END"},
        new int[] {2, 128001}, true, 2, false, true, "regex", "[a-z]+ é", "batch");
    WireToken token = new WireToken(3, 77, "ab ✓", -0.25f, new int[] {77, 5}, new float[] {-0.25f, -2f}, false,
        FinishReason.LENGTH);
    WireResult result = new WireResult("r-1", "adapter-qv-r8", new int[] {1, 2, 1000}, new int[] {3, 4},
        "xy", new float[] {-1f, -2f}, new int[][] {{3}, {}}, new float[][] {{-1f}, {}}, null, FinishReason.EOS, 9L);
    WireError error = new WireError("node_failed", "node left");
    ClusterSupervisor.Decision decision = new ClusterSupervisor.Decision(1_700_000_000_123L, "scale-out", null,
        "pressure 1.7 above 1.5 for 10 s");
    return List.of(
        // relay
        new GenerationService.Generate("r-1", 2, new int[] {1000, 459, 220, 494}, "adapter-qv-r8", null, params,
            reply.unsafeUpcast()),
        new GenerationService.Cancel("r-1", 2),
        new RelayEvent.Started("r-1", 2),
        new RelayEvent.Refused("r-1", 2, new WireError("overloaded", "queue full")),
        new RelayEvent.Token("r-1", 2, token),
        new RelayEvent.Finished("r-1", 2, result),
        new RelayEvent.Failed("r-1", 2, error),
        params,
        token,
        new WireResult("r-2", null, new int[] {1}, new int[0], "", new float[0], new int[0][], new float[0][],
            new float[] {Float.NaN, -3.5f}, FinishReason.STOP, 0L),
        new WireError("invalid_request", null),
        // adapters
        Tier.EVICTING,
        residency,
        new RegisteredAdapter("file:/adapters/adapter-qv-r8", true),
        new AdapterEntity.Resolve("https://adapters.example.com/lora/a", NODE, store.unsafeUpcast(),
            reply.unsafeUpcast()),
        new AdapterEntity.Resolution("a", "file:/adapters/a", true, false, true),
        new AdapterEntity.Register("file:/adapters/a", reply.unsafeUpcast()),
        new AdapterEntity.RegisterResult("a", null, false, "adapter a is being removed; retry when it is gone"),
        new AdapterEntity.Report(failed),
        new AdapterEntity.SetPinned(true, reply.unsafeUpcast()),
        new AdapterEntity.Remove(reply.unsafeUpcast()),
        new AdapterEntity.RemoveResult("a", true),
        new AdapterEntity.NodeUnloaded(NODE),
        new AdapterEntity.GetStatus(reply.unsafeUpcast()),
        new AdapterEntity.AdapterStatus("a", true, "file:/adapters/a", false, Tier.CPU, 7, 0.5, 1_700_000_000_000L,
            new NodeResidency[] {residency, failed}),
        new AdapterStore.Unload("a", reply.unsafeUpcast()),
        new AdapterStore.PinChanged("a", false),
        // load
        new NodeAnnouncement(NODE, "http://10.0.0.7:8080", service.unsafeUpcast(), 1L << 30, 16, 64, 3, 5,
            new String[] {"a", "b"}, new String[] {"a"}, new double[] {2.5}, true, 17, 4, 1),
        // supervisor
        new ClusterSupervisor.SetReplicas("a", 3, reply.unsafeUpcast()),
        new ClusterSupervisor.MoveAdapter("a", "pekko://lorafleet@10.0.0.8:25520", reply.unsafeUpcast()),
        new ClusterSupervisor.PlacementResult("a", new String[] {NODE}, null),
        new ClusterSupervisor.Rebalance(reply.unsafeUpcast()),
        new ClusterSupervisor.RebalanceResult(new String[] {"a: x -> y"}),
        new ClusterSupervisor.GetStatus(reply.unsafeUpcast()),
        decision,
        new ClusterSupervisor.Status(NODE, "kubernetes", 3, 4, 1, new String[] {"lorafleet-3"},
            new ClusterSupervisor.Decision[] {decision}),
        new GenerationService.Drain("admin"),
        new GenerationService.DropAdapter("a"),
        new AdapterPlacement(2, new String[] {NODE, "pekko://lorafleet@10.0.0.8:25520"}, "hot", false),
        // tenants (added in version 2)
        new IssuedKey("key-3f9a1c2b7d4e", "acme", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            1_700_000_000_000L));
  }

  /**
   * The value a golden file of protocol {@code version} reads as: what {@link #values} holds, with the fields a
   * later version added at the value their absence means.
   */
  static Object asRead(Object value, int writtenVersion) {
    // Version 2 added Params.priority, adapter owners and registration on first use by a tenant: a version-1
    // message has none of them.
    if (writtenVersion < 2) {
      if (value instanceof WireParams p) {
        return p.withoutPriority();
      }
      if (value instanceof GenerationService.Generate g) {
        return new GenerationService.Generate(g.requestId(), g.attempt(), g.prompt(), g.adapterId(), g.autoSource(),
            g.params().withoutPriority(), g.replyTo());
      }
      if (value instanceof RegisteredAdapter r) {
        return new RegisteredAdapter(r.source(), r.pinned(), null);
      }
      if (value instanceof AdapterEntity.Register r) {
        return new AdapterEntity.Register(r.source(), null, false, r.replyTo());
      }
      if (value instanceof AdapterEntity.RegisterResult r) {
        return new AdapterEntity.RegisterResult(r.id(), r.source(), r.created(), r.conflict(), null);
      }
    }
    if (value instanceof NodeAnnouncement a) {
      return new NodeAnnouncement(a.node(), a.httpUrl(), a.service(), a.deviceMemoryBytes(), a.adapterSlots(),
          a.maxBatch(), a.queueDepth(), a.running(), a.residentAdapters(), a.rateAdapters(), a.rates(), a.accepting(),
          a.servedRequests(), a.sequence(), writtenVersion >= 2 ? 2 : 1);
    }
    return value;
  }
}
