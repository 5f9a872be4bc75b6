package io.lorafleet.actors.cluster;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v1.Scale;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.URI;
import io.fabric8.kubernetes.client.dsl.RollableScalableResource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Scales the StatefulSet of the GPU nodes through the Kubernetes API (fabric8 client), only through its
 * {@code scale} subresource: one more replica to add a node, one fewer to remove one. Lowering the replica
 * count removes the pod with the highest ordinal, so that pod is the only node this provisioner can remove
 * ({@link #canRemove}: the supervisor drains exactly the pod Kubernetes will delete); it gets SIGTERM and
 * runs the same drain through coordinated shutdown, then leaves the cluster (its shards are handed off,
 * relayed requests retried elsewhere). Pods are looked up by name ({@code <stateful-set>-<ordinal>}) and
 * matched to cluster addresses by pod IP.
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

  /** The StatefulSet's replica count now (its scale subresource). */
  public int replicas() {
    Scale s;
    try {
      s = resource().scale();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        throw new IllegalStateException("StatefulSet " + namespace + "/" + statefulSet + " not found", e);
      }
      throw e;
    }
    if (s == null || s.getSpec() == null) {
      throw new IllegalStateException("StatefulSet " + namespace + "/" + statefulSet + " not found");
    }
    Integer r = s.getSpec().getReplicas();
    return r == null ? 1 : r;
  }

  /** Sets the replica count through the scale subresource; returns the previous one. */
  public int scaleTo(int replicas) {
    int before = replicas();
    resource().scale(replicas);
    return before;
  }

  /** The pod Kubernetes removes on the next scale-in ({@code <stateful-set>-<replicas - 1>}), or null. */
  private Pod highestOrdinal() {
    int n = replicas();
    return client.pods().inNamespace(namespace).withName(statefulSet + "-" + (n - 1)).get();
  }

  /** The host of a cluster address {@code pekko://system@host:port}. */
  static String host(String node) {
    try {
      return URI.create(node).getHost();
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static boolean runsOn(Pod pod, String node) {
    String host = host(node);
    return pod != null && pod.getStatus() != null && host != null && host.equals(pod.getStatus().getPodIP());
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

  /**
   * Only the pod with the highest ordinal: lowering the replica count removes that one and no other. (The
   * supervisor asks on a scale-in decision only; a failed lookup answers false.)
   */
  @Override
  public boolean canRemove(String node) {
    try {
      return replicas() > 1 && runsOn(highestOrdinal(), node);
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public CompletionStage<String> removeNode(String node) {
    return CompletableFuture.supplyAsync(() -> {
      int now = replicas();
      if (now <= 1) {
        return "StatefulSet " + statefulSet + " already at 1 replica";
      }
      Pod last = highestOrdinal();
      if (!runsOn(last, node)) {
        // Scaling in now would delete another pod than the drained one.
        throw new IllegalStateException(node + " is not the StatefulSet's highest ordinal ("
            + (last == null ? statefulSet + "-" + (now - 1) + " not found" : last.getMetadata().getName()) + ")");
      }
      scaleTo(now - 1);
      return "StatefulSet " + namespace + "/" + statefulSet + " scaled " + now + " -> " + (now - 1) + " (removes "
          + last.getMetadata().getName() + ")";
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
