package io.lorafleet.actors.node;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;

/**
 * How a node enters its cluster: through Pekko Management and Cluster Bootstrap when {@code
 * lorafleet.cluster.bootstrap} is on (discovery finds the peers), through the configured seed nodes
 * (Pekko joins them by itself), or, with neither, by joining itself (a one-member cluster).
 */
final class ClusterJoin {
  private ClusterJoin() {}

  static void start(ActorSystem<?> system) {
    Cluster cluster = Cluster.get(system);
    if (system.settings().config().getBoolean("lorafleet.cluster.bootstrap")) {
      var classic = Adapter.toClassic(system);
      PekkoManagement.get(classic).start();
      ClusterBootstrap.get(classic).start();
    } else if (system.settings().config().getStringList("pekko.cluster.seed-nodes").isEmpty()) {
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
  }
}
