package io.lorafleet.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fabric8.kubernetes.api.model.apps.StatefulSet;
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

  @Test
  void scalesTheStatefulSetOutAndIn() {
    KubernetesProvisioner p = new KubernetesProvisioner(client, "fleet", "lorafleet", 3, Runnable::run);
    assertEquals(2, p.replicas());
    assertEquals("StatefulSet fleet/lorafleet scaled 2 -> 3", p.addNode().toCompletableFuture().join());
    assertEquals(3, replicas());
    CompletionException atMax = assertThrows(CompletionException.class, () -> p.addNode().toCompletableFuture().join());
    assertEquals(IllegalStateException.class, atMax.getCause().getClass());
    assertEquals(3, replicas());
    p.removeNode("pekko://lorafleet@10.0.0.7:25520").toCompletableFuture().join();
    p.removeNode("pekko://lorafleet@10.0.0.6:25520").toCompletableFuture().join();
    assertEquals(1, replicas());
    assertEquals("StatefulSet lorafleet already at 1 replica", p.removeNode("x").toCompletableFuture().join());
    assertEquals(1, replicas());
  }

  @Test
  void aMissingStatefulSetIsAnError() {
    KubernetesProvisioner p = new KubernetesProvisioner(client, "fleet", "nope", 3, Runnable::run);
    CompletionException e = assertThrows(CompletionException.class, () -> p.addNode().toCompletableFuture().join());
    assertEquals(IllegalStateException.class, e.getCause().getClass());
  }
}
