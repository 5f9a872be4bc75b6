package io.lorafleet.actors.protocol;

import static io.lorafleet.actors.protocol.WireContext.text;

import io.lorafleet.actors.cluster.ClusterSupervisor;
import io.lorafleet.actors.protocol.wire.SupervisorProto;
import io.lorafleet.actors.routing.AdapterPlacement;
import io.lorafleet.actors.routing.GenerationService;
import java.util.List;

/**
 * Supervisor commands ({@code supervisor.proto}): admin commands and answers of the cluster supervisor, its
 * commands to serving nodes, and the replicated adapter placements it writes.
 */
final class SupervisorMapper {
  private final WireContext c;
  private final WireLimits limits;

  SupervisorMapper(WireContext c) {
    this.c = c;
    this.limits = c.limits;
  }

  List<Binding<?>> bindings() {
    return List.of(
        Binding.of("s.set-replicas", ClusterSupervisor.SetReplicas.class,
            m -> SupervisorProto.SetReplicas.newBuilder().setAdapter(text(m.adapter())).setCount(m.count())
                .setReplyTo(c.ref(m.replyTo())).build(),
            in -> {
              var p = SupervisorProto.SetReplicas.parseFrom(in);
              return new ClusterSupervisor.SetReplicas(limits.string(p.getAdapter(), "adapter"), p.getCount(),
                  c.ref(p.getReplyTo(), "reply_to"));
            }),
        Binding.of("s.move", ClusterSupervisor.MoveAdapter.class,
            m -> SupervisorProto.MoveAdapter.newBuilder().setAdapter(text(m.adapter())).setTo(text(m.to()))
                .setReplyTo(c.ref(m.replyTo())).build(),
            in -> {
              var p = SupervisorProto.MoveAdapter.parseFrom(in);
              return new ClusterSupervisor.MoveAdapter(limits.string(p.getAdapter(), "adapter"),
                  limits.string(p.getTo(), "to"), c.ref(p.getReplyTo(), "reply_to"));
            }),
        Binding.of("s.placement-result", ClusterSupervisor.PlacementResult.class, m -> {
          var b = SupervisorProto.PlacementResult.newBuilder().setAdapter(text(m.adapter()));
          for (String n : m.nodes()) {
            b.addNodes(n);
          }
          if (m.error() != null) {
            b.setError(m.error());
          }
          return b.build();
        }, in -> {
          var p = SupervisorProto.PlacementResult.parseFrom(in);
          return new ClusterSupervisor.PlacementResult(limits.string(p.getAdapter(), "adapter"),
              limits.strings(p.getNodesCount(), p::getNodes, "nodes"),
              limits.optional(p.hasError(), p.getError(), "error"));
        }),
        Binding.of("s.rebalance", ClusterSupervisor.Rebalance.class,
            m -> SupervisorProto.Rebalance.newBuilder().setReplyTo(c.ref(m.replyTo())).build(),
            in -> new ClusterSupervisor.Rebalance(c.ref(SupervisorProto.Rebalance.parseFrom(in).getReplyTo(),
                "reply_to"))),
        Binding.of("s.rebalance-result", ClusterSupervisor.RebalanceResult.class, m -> {
          var b = SupervisorProto.RebalanceResult.newBuilder();
          for (String s : m.changes()) {
            b.addChanges(s);
          }
          return b.build();
        }, in -> {
          var p = SupervisorProto.RebalanceResult.parseFrom(in);
          return new ClusterSupervisor.RebalanceResult(limits.strings(p.getChangesCount(), p::getChanges,
              "changes"));
        }),
        Binding.of("s.get-status", ClusterSupervisor.GetStatus.class,
            m -> SupervisorProto.GetStatus.newBuilder().setReplyTo(c.ref(m.replyTo())).build(),
            in -> new ClusterSupervisor.GetStatus(c.ref(SupervisorProto.GetStatus.parseFrom(in).getReplyTo(),
                "reply_to"))),
        Binding.of("s.decision", ClusterSupervisor.Decision.class, this::decision,
            in -> decision(SupervisorProto.Decision.parseFrom(in))),
        Binding.of("s.status", ClusterSupervisor.Status.class, m -> {
          var b = SupervisorProto.Status.newBuilder().setNode(text(m.node())).setProvisioner(text(m.provisioner()))
              .setLiveNodes(m.liveNodes()).setDesiredNodes(m.desiredNodes()).setPendingNodes(m.pendingNodes());
          for (String s : m.managed()) {
            b.addManaged(s);
          }
          for (ClusterSupervisor.Decision d : m.decisions()) {
            b.addDecisions(decision(d));
          }
          return b.build();
        }, in -> {
          var p = SupervisorProto.Status.parseFrom(in);
          ClusterSupervisor.Decision[] decisions =
              new ClusterSupervisor.Decision[limits.count(p.getDecisionsCount(), "decisions")];
          for (int i = 0; i < decisions.length; i++) {
            decisions[i] = decision(p.getDecisions(i));
          }
          return new ClusterSupervisor.Status(limits.string(p.getNode(), "node"),
              limits.string(p.getProvisioner(), "provisioner"), p.getLiveNodes(), p.getDesiredNodes(),
              p.getPendingNodes(), limits.strings(p.getManagedCount(), p::getManaged, "managed"), decisions);
        }),
        Binding.of("s.drain", GenerationService.Drain.class, m -> {
          var b = SupervisorProto.Drain.newBuilder();
          if (m.reason() != null) {
            b.setReason(m.reason());
          }
          return b.build();
        }, in -> {
          var p = SupervisorProto.Drain.parseFrom(in);
          return new GenerationService.Drain(limits.optional(p.hasReason(), p.getReason(), "reason"));
        }),
        Binding.of("s.drop-adapter", GenerationService.DropAdapter.class,
            m -> SupervisorProto.DropAdapter.newBuilder().setAdapterId(text(m.adapterId())).build(),
            in -> new GenerationService.DropAdapter(limits.string(
                SupervisorProto.DropAdapter.parseFrom(in).getAdapterId(), "adapter_id"))),
        Binding.of("s.placement", AdapterPlacement.class, m -> {
          var b = SupervisorProto.Placement.newBuilder().setReplicas(m.replicas()).setManual(m.manual());
          for (String n : m.nodes()) {
            b.addNodes(n);
          }
          if (m.reason() != null) {
            b.setReason(m.reason());
          }
          return b.build();
        }, in -> {
          var p = SupervisorProto.Placement.parseFrom(in);
          return new AdapterPlacement(p.getReplicas(), limits.strings(p.getNodesCount(), p::getNodes, "nodes"),
              limits.optional(p.hasReason(), p.getReason(), "reason"), p.getManual());
        }));
  }

  private SupervisorProto.Decision decision(ClusterSupervisor.Decision m) {
    var b = SupervisorProto.Decision.newBuilder().setAtMillis(m.atMillis()).setKind(text(m.kind()));
    if (m.subject() != null) {
      b.setSubject(m.subject());
    }
    if (m.reason() != null) {
      b.setReason(m.reason());
    }
    return b.build();
  }

  private ClusterSupervisor.Decision decision(SupervisorProto.Decision p) {
    return new ClusterSupervisor.Decision(p.getAtMillis(), limits.string(p.getKind(), "kind"),
        limits.optional(p.hasSubject(), p.getSubject(), "subject"),
        limits.optional(p.hasReason(), p.getReason(), "reason"));
  }
}
