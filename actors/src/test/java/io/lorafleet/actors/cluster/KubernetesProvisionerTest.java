package io.lorafleet.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Kubernetes provisioner's requests against fabric8's mock API server (CRUD mode). */
@EnableKubernetesMockClient(crud = true)
class KubernetesProvisionerTest {
  KubernetesMockServer server;
  KubernetesClient client;

  @BeforeEach
  void statefulSet() {
    client.apps().statefulSets().inNamespace("fleet").resource(new StatefulSetBuilder()
        .withNewMetadata().withName("lorafleet").withNamespace("fleet").endMetadata()
        .withNewSpec().withReplicas(2).withServiceName("lorafleet").endSpec().build()).create();
  }

  private int replicas() {
    StatefulSet s = client.apps().statefulSets().inNamespace("fleet").withName("lorafleet").get();
    return s.getSpec().getReplicas();
  }

  /** Pod {@code lorafleet-<ordinal>} of the StatefulSet at {@code 10.0.0.<5 + ordinal>}. */
  private void pod(int ordinal) {
    client.pods().inNamespace("fleet").resource(new PodBuilder()
        .withNewMetadata().withName("lorafleet-" + ordinal).withNamespace("fleet").endMetadata()
        .withNewStatus().withPodIP("10.0.0." + (5 + ordinal)).endStatus().build()).create();
  }

  private static String node(int ordinal) {
    return "pekko://lorafleet@10.0.0." + (5 + ordinal) + ":25520";
  }

  /** The requests the mock server received since the last call: "METHOD path". */
  private List<String> requests() throws InterruptedException {
    List<String> out = new ArrayList<>();
    RecordedRequest r;
    while ((r = server.takeRequest(100, TimeUnit.MILLISECONDS)) != null) {
      out.add(r.getMethod() + " " + r.getPath());
    }
    return out;
  }

  @Test
  void scalesTheStatefulSetOutAndInThroughItsScaleSubresourceOnly() throws InterruptedException {
    pod(0);
    pod(1);
    pod(2);
    requests();
    KubernetesProvisioner p = new KubernetesProvisioner(client, "fleet", "lorafleet", 3, Runnable::run);
    assertEquals(2, p.replicas());
    assertEquals("StatefulSet fleet/lorafleet scaled 2 -> 3", p.addNode().toCompletableFuture().join());
    assertEquals(3, replicas());
    CompletionException atMax = assertThrows(CompletionException.class, () -> p.addNode().toCompletableFuture().join());
    assertEquals(IllegalStateException.class, atMax.getCause().getClass());
    assertEquals(3, replicas());
    p.removeNode(node(2)).toCompletableFuture().join();
    p.removeNode(node(1)).toCompletableFuture().join();
    assertEquals(1, replicas());
    assertEquals("StatefulSet lorafleet already at 1 replica", p.removeNode("x").toCompletableFuture().join());
    assertEquals(1, replicas());
    List<String> writes = requests().stream().filter(r -> !r.startsWith("GET ")).toList();
    assertFalse(writes.isEmpty());
    for (String w : writes) {
      assertTrue(w.matches("(PUT|PATCH) /apis/apps/v1/namespaces/fleet/statefulsets/lorafleet/scale.*"),
          "only the scale subresource is written: " + writes);
    }
  }

  @Test
  void onlyThePodKubernetesRemovesOnScaleInCanBeRemoved() {
    pod(0);
    pod(1);
    KubernetesProvisioner p = new KubernetesProvisioner(client, "fleet", "lorafleet", 3, Runnable::run);
    // Two replicas: lowering them deletes lorafleet-1, so that is the node to drain, never lorafleet-0.
    assertFalse(p.canRemove(node(0)));
    assertTrue(p.canRemove(node(1)));
    assertFalse(p.canRemove("pekko://lorafleet@10.9.9.9:25520"));
    CompletionException wrong = assertThrows(CompletionException.class,
        () -> p.removeNode(node(0)).toCompletableFuture().join());
    assertTrue(wrong.getCause().getMessage().contains("lorafleet-1"), wrong.getCause().getMessage());
    assertEquals(2, replicas(), "nothing scaled for a node Kubernetes would not remove");
    p.removeNode(node(1)).toCompletableFuture().join();
    assertEquals(1, replicas());
    assertFalse(p.canRemove(node(0)), "the last node is never removed");
  }

  @Test
  void aMissingStatefulSetIsAnError() {
    KubernetesProvisioner p = new KubernetesProvisioner(client, "fleet", "nope", 3, Runnable::run);
    CompletionException e = assertThrows(CompletionException.class, () -> p.addNode().toCompletableFuture().join());
    assertEquals(IllegalStateException.class, e.getCause().getClass());
  }
}
