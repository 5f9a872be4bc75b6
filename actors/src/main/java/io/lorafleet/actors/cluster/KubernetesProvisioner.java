package io.lorafleet.actors.cluster;

import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.RollableScalableResource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Scales the StatefulSet of the GPU nodes through the Kubernetes API (fabric8 client): one more replica to
 * add a node, one fewer to remove one. Kubernetes removes the pod with the highest ordinal; it gets SIGTERM
 * and leaves the cluster gracefully (its shards are handed off, relayed requests retried elsewhere).
 */
public final class KubernetesProvisioner implements Provisioner {
  private final KubernetesClient client;
  private final String namespace;
  private final String statefulSet;
  private final int maxReplicas;
  private final Executor blocking;

  public KubernetesProvisioner(KubernetesClient client, String namespace, String statefulSet, int maxReplicas,
      Executor blocking) {
    this.client = client;
    this.namespace = namespace;
    this.statefulSet = statefulSet;
    this.maxReplicas = maxReplicas;
    this.blocking = blocking;
  }

  @Override
  public String name() {
    return "kubernetes";
  }

  private RollableScalableResource<StatefulSet> resource() {
    return client.apps().statefulSets().inNamespace(namespace).withName(statefulSet);
  }

  /** The StatefulSet's replica count now. */
  public int replicas() {
    StatefulSet s = resource().get();
    if (s == null) {
      throw new IllegalStateException("StatefulSet " + namespace + "/" + statefulSet + " not found");
    }
    Integer r = s.getSpec().getReplicas();
    return r == null ? 1 : r;
  }

  /** Sets the replica count; returns the previous one. */
  public int scaleTo(int replicas) {
    int[] before = {0};
    resource().edit(s -> {
      Integer r = s.getSpec().getReplicas();
      before[0] = r == null ? 1 : r;
      return new StatefulSetBuilder(s).editSpec().withReplicas(replicas).endSpec().build();
    });
    return before[0];
  }

  @Override
  public CompletionStage<String> addNode() {
    return CompletableFuture.supplyAsync(() -> {
      int now = replicas();
      if (now >= maxReplicas) {
        throw new IllegalStateException("StatefulSet " + statefulSet + " is at its maximum of " + maxReplicas);
      }
      scaleTo(now + 1);
      return "StatefulSet " + namespace + "/" + statefulSet + " scaled " + now + " -> " + (now + 1);
    }, blocking);
  }

  @Override
  public boolean canRemove(String node) {
    return true;
  }

  @Override
  public CompletionStage<String> removeNode(String node) {
    return CompletableFuture.supplyAsync(() -> {
      int now = replicas();
      if (now <= 1) {
        return "StatefulSet " + statefulSet + " already at 1 replica";
      }
      scaleTo(now - 1);
      return "StatefulSet " + namespace + "/" + statefulSet + " scaled " + now + " -> " + (now - 1);
    }, blocking);
  }

  @Override
  public List<String> nodes() {
    List<String> out = new ArrayList<>();
    out.add("StatefulSet " + namespace + "/" + statefulSet);
    return out;
  }

  @Override
  public void close() {
    client.close();
  }
}
