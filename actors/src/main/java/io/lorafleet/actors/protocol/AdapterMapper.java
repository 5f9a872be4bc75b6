package io.lorafleet.actors.protocol;

import static io.lorafleet.actors.protocol.WireContext.text;

import io.lorafleet.actors.adapters.AdapterEntity;
import io.lorafleet.actors.adapters.AdapterStore;
import io.lorafleet.actors.adapters.NodeResidency;
import io.lorafleet.actors.adapters.RegisteredAdapter;
import io.lorafleet.actors.adapters.Tier;
import io.lorafleet.actors.protocol.wire.AdaptersProto;
import java.util.List;

/**
 * Adapter registry and residency ({@code adapters.proto}): the adapter entities' commands and answers, the
 * nodes' residency reports and the registry's replicated values.
 */
final class AdapterMapper {
  private final WireContext c;
  private final WireLimits limits;

  AdapterMapper(WireContext c) {
    this.c = c;
    this.limits = c.limits;
  }

  List<Binding<?>> bindings() {
    return List.of(
        Binding.of("a.tier", Tier.class, t -> AdaptersProto.TierValue.newBuilder().setTier(tier(t)).build(),
            in -> tier(AdaptersProto.TierValue.parseFrom(in).getTier())),
        Binding.of("a.residency", NodeResidency.class, this::residency,
            in -> residency(AdaptersProto.Residency.parseFrom(in))),
        Binding.of("a.reg", RegisteredAdapter.class, m -> {
          var b = AdaptersProto.Registration.newBuilder().setSource(text(m.source())).setPinned(m.pinned());
          if (m.owner() != null && c.version >= 2) {
            b.setOwner(m.owner());
          }
          return b.build();
        }, in -> {
          var p = AdaptersProto.Registration.parseFrom(in);
          return new RegisteredAdapter(limits.string(p.getSource(), "source"), p.getPinned(),
              limits.optional(p.hasOwner(), p.getOwner(), "owner"));
        }),
        Binding.of("a.resolve", AdapterEntity.Resolve.class, m -> {
          var b = AdaptersProto.Resolve.newBuilder().setNode(text(m.node())).setStore(c.ref(m.store()))
              .setReplyTo(c.ref(m.replyTo()));
          if (m.autoSource() != null) {
            b.setAutoSource(m.autoSource());
          }
          return b.build();
        }, in -> {
          var p = AdaptersProto.Resolve.parseFrom(in);
          return new AdapterEntity.Resolve(limits.optional(p.hasAutoSource(), p.getAutoSource(), "auto_source"),
              limits.string(p.getNode(), "node"), c.ref(p.getStore(), "store"), c.ref(p.getReplyTo(), "reply_to"));
        }),
        Binding.of("a.resolution", AdapterEntity.Resolution.class, m -> {
          var b = AdaptersProto.Resolution.newBuilder().setId(text(m.id())).setPinned(m.pinned())
              .setRemoving(m.removing()).setProvisional(m.provisional());
          if (m.source() != null) {
            b.setSource(m.source());
          }
          return b.build();
        }, in -> {
          var p = AdaptersProto.Resolution.parseFrom(in);
          return new AdapterEntity.Resolution(limits.string(p.getId(), "id"),
              limits.optional(p.hasSource(), p.getSource(), "source"), p.getPinned(), p.getRemoving(),
              p.getProvisional());
        }),
        Binding.of("a.register", AdapterEntity.Register.class, m -> {
          var b = AdaptersProto.Register.newBuilder().setSource(text(m.source())).setReplyTo(c.ref(m.replyTo()));
          if (c.version >= 2) {
            if (m.owner() != null) {
              b.setOwner(m.owner());
            }
            b.setOnFirstUse(m.onFirstUse());
          }
          return b.build();
        }, in -> {
          var p = AdaptersProto.Register.parseFrom(in);
          return new AdapterEntity.Register(limits.string(p.getSource(), "source"),
              limits.optional(p.hasOwner(), p.getOwner(), "owner"), p.getOnFirstUse(),
              c.ref(p.getReplyTo(), "reply_to"));
        }),
        Binding.of("a.register-result", AdapterEntity.RegisterResult.class, m -> {
          var b = AdaptersProto.RegisterResult.newBuilder().setId(text(m.id())).setCreated(m.created());
          if (m.source() != null) {
            b.setSource(m.source());
          }
          if (m.conflict() != null) {
            b.setConflict(m.conflict());
          }
          if (m.owner() != null && c.version >= 2) {
            b.setOwner(m.owner());
          }
          return b.build();
        }, in -> {
          var p = AdaptersProto.RegisterResult.parseFrom(in);
          return new AdapterEntity.RegisterResult(limits.string(p.getId(), "id"),
              limits.optional(p.hasSource(), p.getSource(), "source"), p.getCreated(),
              limits.optional(p.hasConflict(), p.getConflict(), "conflict"),
              limits.optional(p.hasOwner(), p.getOwner(), "owner"));
        }),
        Binding.of("a.report", AdapterEntity.Report.class,
            m -> AdaptersProto.Report.newBuilder().setResidency(residency(m.residency())).build(),
            in -> new AdapterEntity.Report(residency(AdaptersProto.Report.parseFrom(in).getResidency()))),
        Binding.of("a.set-pinned", AdapterEntity.SetPinned.class,
            m -> AdaptersProto.SetPinned.newBuilder().setPinned(m.pinned()).setReplyTo(c.ref(m.replyTo())).build(),
            in -> {
              var p = AdaptersProto.SetPinned.parseFrom(in);
              return new AdapterEntity.SetPinned(p.getPinned(), c.ref(p.getReplyTo(), "reply_to"));
            }),
        Binding.of("a.remove", AdapterEntity.Remove.class,
            m -> AdaptersProto.Remove.newBuilder().setReplyTo(c.ref(m.replyTo())).build(),
            in -> new AdapterEntity.Remove(c.ref(AdaptersProto.Remove.parseFrom(in).getReplyTo(), "reply_to"))),
        Binding.of("a.remove-result", AdapterEntity.RemoveResult.class,
            m -> AdaptersProto.RemoveResult.newBuilder().setId(text(m.id())).setExisted(m.existed()).build(),
            in -> {
              var p = AdaptersProto.RemoveResult.parseFrom(in);
              return new AdapterEntity.RemoveResult(limits.string(p.getId(), "id"), p.getExisted());
            }),
        Binding.of("a.node-unloaded", AdapterEntity.NodeUnloaded.class,
            m -> AdaptersProto.NodeUnloaded.newBuilder().setNode(text(m.node())).build(),
            in -> new AdapterEntity.NodeUnloaded(limits.string(AdaptersProto.NodeUnloaded.parseFrom(in).getNode(),
                "node"))),
        Binding.of("a.get-status", AdapterEntity.GetStatus.class,
            m -> AdaptersProto.GetStatus.newBuilder().setReplyTo(c.ref(m.replyTo())).build(),
            in -> new AdapterEntity.GetStatus(c.ref(AdaptersProto.GetStatus.parseFrom(in).getReplyTo(),
                "reply_to"))),
        Binding.of("a.status", AdapterEntity.AdapterStatus.class, this::status,
            in -> status(AdaptersProto.Status.parseFrom(in))),
        Binding.of("a.unload", AdapterStore.Unload.class,
            m -> AdaptersProto.Unload.newBuilder().setId(text(m.id())).setReplyTo(c.ref(m.replyTo())).build(),
            in -> {
              var p = AdaptersProto.Unload.parseFrom(in);
              return new AdapterStore.Unload(limits.string(p.getId(), "id"), c.ref(p.getReplyTo(), "reply_to"));
            }),
        Binding.of("a.pin-changed", AdapterStore.PinChanged.class,
            m -> AdaptersProto.PinChanged.newBuilder().setId(text(m.id())).setPinned(m.pinned()).build(),
            in -> {
              var p = AdaptersProto.PinChanged.parseFrom(in);
              return new AdapterStore.PinChanged(limits.string(p.getId(), "id"), p.getPinned());
            }));
  }

  AdaptersProto.Residency residency(NodeResidency m) {
    var b = AdaptersProto.Residency.newBuilder().setNode(text(m.node())).setStore(c.ref(m.store()))
        .setTier(tier(m.tier())).setInFlight(m.inFlight()).setBytes(m.bytes()).setHits(m.hits())
        .setLastUseMillis(m.lastUseMillis());
    if (m.lastError() != null) {
      b.setLastError(m.lastError());
    }
    return b.build();
  }

  NodeResidency residency(AdaptersProto.Residency p) {
    return new NodeResidency(limits.string(p.getNode(), "node"), c.ref(p.getStore(), "store"), tier(p.getTier()),
        p.getInFlight(), p.getBytes(), p.getHits(), p.getLastUseMillis(),
        limits.optional(p.hasLastError(), p.getLastError(), "last_error"));
  }

  private AdaptersProto.Status status(AdapterEntity.AdapterStatus m) {
    var b = AdaptersProto.Status.newBuilder().setId(text(m.id())).setRegistered(m.registered())
        .setPinned(m.pinned()).setState(tier(m.state())).setHits(m.hits())
        .setRequestsPerSecond(m.requestsPerSecond()).setLastUseMillis(m.lastUseMillis());
    if (m.source() != null) {
      b.setSource(m.source());
    }
    for (NodeResidency r : m.nodes()) {
      b.addNodes(residency(r));
    }
    return b.build();
  }

  private AdapterEntity.AdapterStatus status(AdaptersProto.Status p) {
    NodeResidency[] nodes = new NodeResidency[limits.count(p.getNodesCount(), "nodes")];
    for (int i = 0; i < nodes.length; i++) {
      nodes[i] = residency(p.getNodes(i));
    }
    return new AdapterEntity.AdapterStatus(limits.string(p.getId(), "id"), p.getRegistered(),
        limits.optional(p.hasSource(), p.getSource(), "source"), p.getPinned(), tier(p.getState()), p.getHits(),
        p.getRequestsPerSecond(), p.getLastUseMillis(), nodes);
  }

  static AdaptersProto.Tier tier(Tier t) {
    if (t == null) {
      return AdaptersProto.Tier.TIER_UNSPECIFIED;
    }
    return switch (t) {
      case UNKNOWN -> AdaptersProto.Tier.TIER_UNKNOWN;
      case FETCHING -> AdaptersProto.Tier.TIER_FETCHING;
      case DISK -> AdaptersProto.Tier.TIER_DISK;
      case CPU -> AdaptersProto.Tier.TIER_CPU;
      case DEVICE -> AdaptersProto.Tier.TIER_DEVICE;
      case EVICTING -> AdaptersProto.Tier.TIER_EVICTING;
    };
  }

  /** UNSPECIFIED and a tier a newer release added read as {@link Tier#UNKNOWN}. */
  static Tier tier(AdaptersProto.Tier t) {
    return switch (t) {
      case TIER_FETCHING -> Tier.FETCHING;
      case TIER_DISK -> Tier.DISK;
      case TIER_CPU -> Tier.CPU;
      case TIER_DEVICE -> Tier.DEVICE;
      case TIER_EVICTING -> Tier.EVICTING;
      case TIER_UNKNOWN, TIER_UNSPECIFIED, UNRECOGNIZED -> Tier.UNKNOWN;
    };
  }
}
