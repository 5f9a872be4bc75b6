package io.lorafleet.actors.cluster;

import com.typesafe.config.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/** Which {@link Provisioner} the supervisor scales the fleet with, from {@code lorafleet.cluster.supervisor.provisioner}. */
public final class Provisioners {
  private Provisioners() {}

  /**
   * The provisioner named {@code name}, made when the supervisor starts (on whichever node holds the
   * singleton); null for {@code none}.
   *
   * @param config   the node's whole configuration
   * @param httpHost the HTTP interface nodes started on this machine listen on
   * @param seed     this node's Artery address ({@code host:port}) for nodes started here to join
   * @param blocking where blocking provisioning work runs
   * @throws IllegalArgumentException for an unknown name
   */
  public static Supplier<Provisioner> named(String name, Config config, String httpHost, String seed,
      Executor blocking) {
    Config k = config.getConfig("lorafleet.cluster.supervisor.kubernetes");
    return switch (name) {
      case "none" -> null;
      case "local-process" -> () -> new LocalProcessProvisioner(config, httpHost, seed, blocking);
      case "kubernetes" -> () -> {
        var cfg = k.getString("master-url").isEmpty() ? new ConfigBuilder().build()
            : new ConfigBuilder().withMasterUrl(k.getString("master-url")).build();
        return new KubernetesProvisioner(new KubernetesClientBuilder().withConfig(cfg).build(),
            k.getString("namespace"), k.getString("stateful-set"), k.getInt("max-replicas"), blocking);
      };
      default -> throw new IllegalArgumentException("lorafleet.cluster.supervisor.provisioner: unknown provisioner \""
          + name + "\" (none, local-process or kubernetes)");
    };
  }
}
