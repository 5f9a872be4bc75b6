package io.lorafleet.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.LintResult;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValueFactory;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.lorafleet.actors.cluster.KubernetesProvisioner;
import io.lorafleet.ops.Chart.Manifests;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * ops/helm/lorafleet rendered and linted by Helm's engine (helm-java), its objects checked against what the
 * node needs: the kubernetes cluster profile's environment and ports, the image's layout (the Dockerfile),
 * Pekko Management's health routes, and the Kubernetes API requests of the discovery and the provisioner.
 */
@EnableKubernetesMockClient(crud = true)
class HelmChartTest {
  private static final String RELEASE = "lorafleet";
  private static final String NAMESPACE = "fleet";
  private static final String POD_IP = "10.1.2.3";

  KubernetesMockServer server;
  KubernetesClient client;

  private static Manifests render(Map<String, Object> values) {
    return Chart.render(RELEASE, NAMESPACE, values);
  }

  // ------------------------------------------------------------------ the chart as a whole

  @Test
  void lintsStrictly() {
    LintResult lint = Chart.lint();
    assertFalse(lint.isFailed(), () -> "helm lint --strict: " + lint.getMessages());
  }

  @Test
  void rendersTheFleetsObjects() {
    Manifests m = render(Map.of());
    Set<String> kinds = new TreeSet<>();
    m.objects().forEach(o -> kinds.add(o.path("kind").asText()));
    assertEquals(new TreeSet<>(List.of("NetworkPolicy", "PodDisruptionBudget", "Role", "RoleBinding", "Service",
        "ServiceAccount", "StatefulSet")), kinds);
    assertEquals(2, m.all("Service").size());
    for (JsonNode o : m.objects()) {
      assertEquals(RELEASE, o.path("metadata").path("labels").path("app.kubernetes.io/instance").asText(),
          () -> "release label on " + o.path("kind").asText());
    }
    assertTrue(m.find("ConfigMap").isEmpty(), "no ConfigMap without config overrides");
  }

  // ------------------------------------------------------------------ StatefulSet and pods

  @Test
  void statefulSetOfGpuNodes() {
    Manifests m = render(Map.of());
    JsonNode sts = m.statefulSet();
    assertEquals(2, sts.path("spec").path("replicas").asInt());
    assertEquals("Parallel", sts.path("spec").path("podManagementPolicy").asText(),
        "all pods start at once so that bootstrap finds its contact points");
    JsonNode resources = m.container().path("resources");
    assertEquals("1", resources.path("limits").path("nvidia.com/gpu").asText());
    assertEquals("1", resources.path("requests").path("nvidia.com/gpu").asText());
    assertEquals("32Gi", resources.path("limits").path("memory").asText(), "the values' resources are kept");
    JsonNode tolerations = m.podTemplate().path("spec").path("tolerations");
    assertTrue(stream(tolerations).anyMatch(t -> t.path("key").asText().equals("nvidia.com/gpu")), tolerations::toString);
    assertTrue(selects(sts.path("spec").path("selector").path("matchLabels"), m.podTemplate().path("metadata").path("labels")));
    assertEquals(Manifests.name(m.one("ServiceAccount")), m.podTemplate().path("spec").path("serviceAccountName").asText());
  }

  @Test
  void gpuCountNodeSelectorAndTolerationsAreValues() {
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("replicas", 3);
    values.put("gpu", Map.of("count", 4));
    values.put("nodeSelector", Map.of("nvidia.com/gpu.product", "NVIDIA-H100-80GB-HBM3"));
    values.put("tolerations", List.of(Map.of("key", "dedicated", "operator", "Equal", "value", "llm", "effect", "NoSchedule")));
    Manifests m = render(values);
    assertEquals(3, m.statefulSet().path("spec").path("replicas").asInt());
    assertEquals("4", m.container().path("resources").path("limits").path("nvidia.com/gpu").asText());
    JsonNode pod = m.podTemplate().path("spec");
    assertEquals("NVIDIA-H100-80GB-HBM3", pod.path("nodeSelector").path("nvidia.com/gpu.product").asText());
    assertEquals("dedicated", pod.path("tolerations").get(0).path("key").asText());
    assertEquals("2", env(m).get("REQUIRED_CONTACT_POINTS"));
  }

  @Test
  void cpuOnlyFleetRequestsNoGpu() {
    Manifests m = render(Map.of("gpu", Map.of("count", 0), "replicas", 1));
    JsonNode resources = m.container().path("resources");
    assertTrue(resources.path("limits").path("nvidia.com/gpu").isMissingNode(), resources::toString);
    assertTrue(resources.path("requests").path("nvidia.com/gpu").isMissingNode(), resources::toString);
    assertEquals("cpu", flag(args(m), "--backend"));
    assertEquals("1", env(m).get("REQUIRED_CONTACT_POINTS"), "one node must be able to form its cluster");
  }

  @Test
  void nodeCommandStartsTheImagesKubernetesProfile() {
    Manifests m = render(Map.of());
    List<String> args = args(m);
    assertEquals("serve", args.getFirst());
    Dockerfile docker = Dockerfile.parse(Repo.path("ops/docker/Dockerfile"));
    String home = docker.env().get("LORAFLEET_HOME");
    assertNotNull(home, "the Dockerfile sets LORAFLEET_HOME");
    assertEquals(home + "/cluster-config/kubernetes.conf", flag(args, "--cluster-config"));
    assertTrue(docker.all("COPY").stream().anyMatch(c -> c.sources().contains("cluster-config/")
        && c.destination().equals(home + "/cluster-config/")), "the image holds cluster-config/ under its home");
    assertTrue(Files.isRegularFile(Repo.path("cluster-config/kubernetes.conf")));
    assertEquals("0.0.0.0", flag(args, "--host"));
    assertEquals(containerPort(m, "http"), Integer.parseInt(flag(args, "--port")));
    assertEquals(containerPort(m, "remote"), Integer.parseInt(flag(args, "--remote-port")));
    assertEquals("auto", flag(args, "--backend"));
    assertFalse(args.contains("--model"), "the bundled model by default");
    // The image's entrypoint is kept (the launcher's JVM command line); the chart only passes arguments.
    assertTrue(m.container().path("command").isMissingNode());
    assertEquals("-XX:MaxRAMPercentage=50", env(m).get("JDK_JAVA_OPTIONS"));
  }

  @Test
  void modelAdaptersAndEngineOptionsReachTheCommandLine() {
    Manifests m = render(Map.of("model", Map.of("dir", "/models/llama", "adaptersDir", "/models/adapters"),
        "extraArgs", List.of("--kv-cache-mb", "16384", "--max-num-seqs", "64"),
        "extraVolumes", List.of(Map.of("name", "models", "persistentVolumeClaim", Map.of("claimName", "models"))),
        "extraVolumeMounts", List.of(Map.of("name", "models", "mountPath", "/models", "readOnly", true))));
    List<String> args = args(m);
    assertEquals("/models/llama", flag(args, "--model"));
    assertEquals("/models/adapters", flag(args, "--adapters"));
    assertEquals("16384", flag(args, "--kv-cache-mb"));
    assertEquals("64", flag(args, "--max-num-seqs"));
    assertTrue(stream(m.container().path("volumeMounts")).anyMatch(v -> v.path("mountPath").asText().equals("/models")));
    assertTrue(stream(m.podTemplate().path("spec").path("volumes")).anyMatch(v -> v.path("name").asText().equals("models")));
  }

  /**
   * The kubernetes profile resolved in the pod's environment (as the node resolves it): every variable it
   * reads is set, and what it derives from them matches the chart's objects.
   */
  @Test
  void environmentMatchesTheKubernetesProfile() {
    Manifests m = render(Map.of());
    Map<String, String> env = env(m);
    String profileText = Repo.read("cluster-config/kubernetes.conf");
    Matcher vars = Pattern.compile("\\$\\{\\?([A-Za-z_][A-Za-z0-9_]*)}").matcher(profileText);
    Set<String> read = new TreeSet<>();
    while (vars.find()) {
      read.add(vars.group(1));
    }
    assertEquals(new TreeSet<>(List.of("LORAFLEET_APP", "LORAFLEET_STATEFUL_SET", "LORAFLEET_TLS_DIR",
        "LORAFLEET_TLS_PASSWORD", "POD_IP", "POD_NAMESPACE", "REQUIRED_CONTACT_POINTS")), read,
        "the variables the profile reads (update the chart with them)");
    for (String v : read) {
      assertTrue(env.containsKey(v), () -> v + " is not set by the chart: " + env);
    }
    Config profile = resolve(ConfigFactory.parseString(inPod(profileText, env)));
    String statefulSet = Manifests.name(m.statefulSet());
    JsonNode podLabels = m.podTemplate().path("metadata").path("labels");

    assertEquals(POD_IP, profile.getString("pekko.remote.artery.canonical.hostname"));
    assertEquals(POD_IP, profile.getString("pekko.management.http.hostname"));
    // Kubernetes API discovery: pods labelled with the selector, in the pod's namespace.
    String service = profile.getString("pekko.management.cluster.bootstrap.contact-point-discovery.service-name");
    String selector = profile.getString("pekko.discovery.kubernetes-api.pod-label-selector").formatted(service);
    String[] kv = selector.split("=", 2);
    assertEquals(kv[1], podLabels.path(kv[0]).asText(), () -> "discovery selects " + selector + ", pods are labelled " + podLabels);
    assertEquals(NAMESPACE, profile.getString("pekko.discovery.kubernetes-api.pod-namespace"));
    assertEquals(2, profile.getInt("pekko.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"));
    // The supervisor's provisioner scales this StatefulSet in this namespace.
    assertEquals("kubernetes", profile.getString("lorafleet.cluster.supervisor.provisioner"));
    assertEquals(statefulSet, profile.getString("lorafleet.cluster.supervisor.kubernetes.stateful-set"));
    assertEquals(NAMESPACE, profile.getString("lorafleet.cluster.supervisor.kubernetes.namespace"));
    assertTrue(profile.getBoolean("lorafleet.cluster.bootstrap"), "the profile starts Pekko Management and bootstrap");
    // Ports: the profile's Artery and Management ports are the pod's.
    assertEquals(profile.getInt("pekko.remote.artery.canonical.port"), containerPort(m, "remote"));
    assertEquals(profile.getInt("pekko.management.http.port"), containerPort(m, "management"));
    assertEquals(profile.getInt("pekko.management.http.bind-port"), containerPort(m, "management"));
  }

  @Test
  void headlessServiceForBootstrapAndClientService() {
    Manifests m = render(Map.of());
    JsonNode podLabels = m.podTemplate().path("metadata").path("labels");
    String headlessName = m.statefulSet().path("spec").path("serviceName").asText();
    JsonNode headless = m.named("Service", headlessName);
    assertEquals("None", headless.path("spec").path("clusterIP").asText());
    assertTrue(headless.path("spec").path("publishNotReadyAddresses").asBoolean(), "unready pods reachable for bootstrap");
    assertTrue(selects(headless.path("spec").path("selector"), podLabels));
    assertEquals(Set.of("management", "remote", "http"), portNames(headless.path("spec").path("ports")));

    JsonNode client = m.all("Service").stream().filter(s -> !Manifests.name(s).equals(headlessName)).findFirst().orElseThrow();
    assertEquals("ClusterIP", client.path("spec").path("type").asText());
    assertTrue(selects(client.path("spec").path("selector"), podLabels));
    assertEquals("http", client.path("spec").path("ports").get(0).path("targetPort").asText());
  }

  @Test
  void probesUseHealthAndPekkoManagementRoutes() {
    Manifests m = render(Map.of());
    JsonNode c = m.container();
    // Pekko Management's own route names (its reference.conf), on the management port the profile opens.
    Config management = ConfigFactory.load().getConfig("pekko.management.health-checks");
    assertEquals("/health", c.path("readinessProbe").path("httpGet").path("path").asText());
    assertEquals("http", c.path("readinessProbe").path("httpGet").path("port").asText());
    assertEquals("/health", c.path("startupProbe").path("httpGet").path("path").asText());
    assertEquals("/" + management.getString("liveness-path"), c.path("livenessProbe").path("httpGet").path("path").asText());
    assertEquals("management", c.path("livenessProbe").path("httpGet").path("port").asText());
  }

  @Test
  void adminTokenComesFromASecret() {
    Manifests off = render(Map.of());
    assertTrue(off.find("Secret").isEmpty());
    assertFalse(args(off).contains("--admin-token-file"), "no token, no admin API (as a node without the flag)");

    Manifests given = render(Map.of("adminToken", Map.of("value", "s3cret-s3cret")));
    JsonNode secret = given.one("Secret");
    assertEquals("s3cret-s3cret", new String(Base64.getDecoder().decode(secret.path("data").path("admin-token").asText()),
        StandardCharsets.UTF_8));
    Path tokenFile = Path.of(flag(args(given), "--admin-token-file"));
    JsonNode volume = volumeMountedAt(given, tokenFile.getParent().toString());
    assertEquals(Manifests.name(secret), volume.path("secret").path("secretName").asText());
    assertEquals("admin-token", volume.path("secret").path("items").get(0).path("key").asText());
    assertEquals(tokenFile.getFileName().toString(), volume.path("secret").path("items").get(0).path("path").asText());

    Manifests existing = render(Map.of("adminToken", Map.of("existingSecret", "ops-token", "existingSecretKey", "token")));
    assertTrue(existing.find("Secret").isEmpty(), "no Secret of the chart's own");
    JsonNode v = volumeMountedAt(existing, Path.of(flag(args(existing), "--admin-token-file")).getParent().toString());
    assertEquals("ops-token", v.path("secret").path("secretName").asText());
    assertEquals("token", v.path("secret").path("items").get(0).path("key").asText());
  }

  @Test
  void configOverridesLayerAConfigMapOverTheImagesProfile() throws IOException {
    String overrides = """
        pekko.cluster.split-brain-resolver.stable-after = 20s
        lorafleet.cluster.supervisor.scaling { min-nodes = 2, max-nodes = 6 }
        """;
    Manifests m = render(Map.of("config", overrides));
    JsonNode configMap = m.one("ConfigMap");
    String file = flag(args(m), "--cluster-config");
    Path path = Path.of(file);
    JsonNode volume = volumeMountedAt(m, path.getParent().toString());
    assertEquals(Manifests.name(configMap), volume.path("configMap").path("name").asText());
    String text = configMap.path("data").path(path.getFileName().toString()).asText();
    assertFalse(text.isEmpty(), () -> "the ConfigMap has no " + path.getFileName() + ": " + configMap);
    assertTrue(m.podTemplate().path("metadata").path("annotations").has("checksum/config"), "pods roll when it changes");

    // The node parses it as a file: its include names the image's profile. Parsed with the include
    // pointing at this repository's profile, the overrides win and the rest of the profile stays.
    String home = Dockerfile.parse(Repo.path("ops/docker/Dockerfile")).env().get("LORAFLEET_HOME");
    String imageProfile = home + "/cluster-config/kubernetes.conf";
    assertTrue(text.contains("include required(file(\"" + imageProfile + "\"))"), text);
    Path dir = Repo.scratch("configmap");
    Path profile = dir.resolve("image-kubernetes.conf");
    Files.writeString(profile, inPod(Repo.read("cluster-config/kubernetes.conf"), env(m)));
    Path local = dir.resolve("kubernetes.conf");
    Files.writeString(local, inPod(text.replace(imageProfile, profile.toString()), env(m)));
    Config layered = resolve(ConfigFactory.parseFile(local.toFile()));
    assertEquals(20, layered.getDuration("pekko.cluster.split-brain-resolver.stable-after").toSeconds());
    assertEquals(6, layered.getInt("lorafleet.cluster.supervisor.scaling.max-nodes"));
    assertEquals("kubernetes", layered.getString("lorafleet.cluster.supervisor.provisioner"));
    assertEquals("keep-majority", layered.getString("pekko.cluster.split-brain-resolver.active-strategy"));
    assertEquals(POD_IP, layered.getString("pekko.remote.artery.canonical.hostname"));
  }

  @Test
  void podDisruptionBudgetTakesOneNodeAtATime() {
    Manifests m = render(Map.of());
    JsonNode pdb = m.one("PodDisruptionBudget");
    assertEquals(1, pdb.path("spec").path("maxUnavailable").asInt());
    assertTrue(selects(pdb.path("spec").path("selector").path("matchLabels"), m.podTemplate().path("metadata").path("labels")));
  }

  @Test
  void podsCarryTheScrapeAnnotations() {
    Manifests m = render(Map.of());
    JsonNode a = m.podTemplate().path("metadata").path("annotations");
    assertEquals("true", a.path("prometheus.io/scrape").asText());
    assertEquals(String.valueOf(containerPort(m, "http")), a.path("prometheus.io/port").asText());
    assertEquals("/metrics", a.path("prometheus.io/path").asText());
    assertTrue(render(Map.of("prometheus", Map.of("scrape", false))).podTemplate().path("metadata").path("annotations")
        .path("prometheus.io/scrape").isMissingNode());
  }

  // ------------------------------------------------------------------ cluster transport

  /**
   * The kubernetes profile runs Artery over TLS with mutual authentication, and the chart gives every pod
   * the key material it names: the TLS Secret's node.p12 and trust.p12 mounted at LORAFLEET_TLS_DIR, the
   * password from the same Secret.
   */
  @Test
  void clusterTransportIsMutualTlsWithKeyMaterialFromASecret() {
    for (Map<String, Object> values : List.of(Map.<String, Object>of(),
        Map.<String, Object>of("tls", Map.of("existingSecret", "fleet-certs")))) {
      Manifests m = render(values);
      Map<String, String> env = env(m);
      Config profile = resolve(ConfigFactory.parseString(inPod(Repo.read("cluster-config/kubernetes.conf"), env))
          .withFallback(ConfigFactory.parseString("lorafleet.tls.password = \"\"")));
      assertEquals("tls-tcp", profile.getString("pekko.remote.artery.transport"));
      Config ssl = profile.getConfig("pekko.remote.artery.ssl.config-ssl-engine");
      assertTrue(ssl.getBoolean("require-mutual-authentication"));
      String dir = env.get("LORAFLEET_TLS_DIR");
      assertEquals(dir + "/node.p12", ssl.getString("key-store"));
      assertEquals(dir + "/trust.p12", ssl.getString("trust-store"));
      String secret = values.isEmpty() ? Manifests.name(m.statefulSet()) + "-tls" : "fleet-certs";
      JsonNode volume = volumeMountedAt(m, dir);
      assertEquals(secret, volume.path("secret").path("secretName").asText());
      Set<String> files = new TreeSet<>();
      volume.path("secret").path("items").forEach(i -> {
        assertEquals(i.path("key").asText(), i.path("path").asText());
        files.add(i.path("path").asText());
      });
      assertEquals(Set.of("node.p12", "trust.p12"), files);
      JsonNode password = stream(m.container().path("env")).filter(e -> e.path("name").asText()
          .equals("LORAFLEET_TLS_PASSWORD")).findFirst().orElseThrow().path("valueFrom").path("secretKeyRef");
      assertEquals(secret, password.path("name").asText());
      assertEquals("password", password.path("key").asText());
    }
  }

  /**
   * The NetworkPolicy selects the fleet's pods and admits Artery and Pekko Management (the profile's ports)
   * only from pods of this release; HTTP from anyone, or from the given peers.
   */
  @Test
  void networkPolicyAdmitsTheClusterPortsOnlyFromTheReleasesPods() {
    Manifests m = render(Map.of());
    JsonNode podLabels = m.podTemplate().path("metadata").path("labels");
    Config profile = resolve(ConfigFactory.parseString(inPod(Repo.read("cluster-config/kubernetes.conf"), env(m))));
    int artery = profile.getInt("pekko.remote.artery.canonical.port");
    int management = profile.getInt("pekko.management.http.port");
    int http = containerPort(m, "http");
    JsonNode policy = m.one("NetworkPolicy");
    JsonNode spec = policy.path("spec");
    assertTrue(selects(spec.path("podSelector").path("matchLabels"), podLabels), "the policy isolates the fleet's pods");
    assertEquals(List.of("Ingress"), stream(spec.path("policyTypes")).map(JsonNode::asText).toList());
    Set<Integer> clusterPorts = new TreeSet<>();
    boolean httpOpen = false;
    for (JsonNode rule : spec.path("ingress")) {
      Set<Integer> ports = new TreeSet<>();
      rule.path("ports").forEach(p -> ports.add(p.path("port").asInt()));
      assertFalse(ports.isEmpty(), "every rule names its ports: " + rule);
      if (ports.contains(artery) || ports.contains(management)) {
        assertFalse(ports.contains(http), "the cluster ports' rule is theirs alone: " + rule);
        assertEquals(1, rule.path("from").size(), rule.toString());
        JsonNode from = rule.path("from").get(0);
        assertTrue(from.path("namespaceSelector").isMissingNode() && from.path("ipBlock").isMissingNode(), rule.toString());
        JsonNode selector = from.path("podSelector").path("matchLabels");
        assertEquals(m.statefulSet().path("metadata").path("labels").path("app.kubernetes.io/instance").asText(),
            selector.path("app.kubernetes.io/instance").asText(), "only this release's pods: " + selector);
        assertTrue(selects(selector, podLabels), "the fleet's own pods are admitted");
        clusterPorts.addAll(ports);
      } else {
        assertEquals(Set.of(http), ports);
        httpOpen = rule.path("from").isMissingNode() || rule.path("from").isEmpty();
      }
    }
    assertEquals(Set.of(artery, management), clusterPorts);
    assertTrue(httpOpen, "HTTP is open by default (clients, probes)");

    Manifests restricted = render(Map.of("networkPolicy", Map.of("httpFrom",
        List.of(Map.of("namespaceSelector", Map.of("matchLabels", Map.of("kubernetes.io/metadata.name", "edge")))))));
    JsonNode httpRule = stream(restricted.one("NetworkPolicy").path("spec").path("ingress"))
        .filter(r -> r.path("ports").get(0).path("port").asInt() == http).findFirst().orElseThrow();
    assertEquals("edge", httpRule.path("from").get(0).path("namespaceSelector").path("matchLabels")
        .path("kubernetes.io/metadata.name").asText());
    assertTrue(render(Map.of("networkPolicy", Map.of("enabled", false))).find("NetworkPolicy").isEmpty());
  }

  // ------------------------------------------------------------------ RBAC

  /**
   * The Role grants every Kubernetes API request the node makes: Pekko's Kubernetes API discovery lists
   * the pods with the selector, and the supervisor's {@link KubernetesProvisioner} (the real class, against
   * fabric8's mock API server) reads and scales the StatefulSet; its requests are recorded and each is
   * mapped to the RBAC verb the API server checks.
   */
  @Test
  void roleGrantsWhatDiscoveryAndTheProvisionerRequest() throws InterruptedException {
    Manifests m = render(Map.of());
    String statefulSet = Manifests.name(m.statefulSet());
    client.apps().statefulSets().inNamespace(NAMESPACE).resource(new StatefulSetBuilder()
        .withNewMetadata().withName(statefulSet).withNamespace(NAMESPACE).endMetadata()
        .withNewSpec().withReplicas(2).withServiceName(statefulSet).endSpec().build()).create();
    for (int ordinal = 0; ordinal < 3; ordinal++) {
      client.pods().inNamespace(NAMESPACE).resource(new PodBuilder().withNewMetadata().withName(statefulSet + "-" + ordinal)
          .withNamespace(NAMESPACE).endMetadata().withNewStatus().withPodIP("10.1.2." + (3 + ordinal)).endStatus()
          .build()).create();
    }
    drain();
    KubernetesProvisioner provisioner = new KubernetesProvisioner(client, NAMESPACE, statefulSet, 4, Runnable::run);
    provisioner.addNode().toCompletableFuture().join();
    assertTrue(provisioner.canRemove("pekko://lorafleet@10.1.2.5:25520"), "the highest ordinal of 3 replicas");
    provisioner.removeNode("pekko://lorafleet@10.1.2.5:25520").toCompletableFuture().join();
    List<Access> needed = new ArrayList<>(drain());
    assertTrue(needed.stream().anyMatch(a -> a.verb().equals("patch") || a.verb().equals("update")), needed::toString);
    // Scaling goes through the scale subresource only: the Role lets nobody patch or update the StatefulSet
    // itself (its pod template: image, command, volumes).
    for (Access a : needed) {
      assertFalse(a.resource().equals("statefulsets") && !a.verb().equals("get"), () -> "writes the StatefulSet: " + a);
    }
    // KubernetesApiServiceDiscovery: GET /api/v1/namespaces/{ns}/pods?labelSelector=app%3D{name}
    needed.add(Access.of("GET", "/api/v1/namespaces/" + NAMESPACE + "/pods?labelSelector=app%3D" + statefulSet));

    JsonNode role = m.one("Role");
    JsonNode binding = m.one("RoleBinding");
    assertEquals(Manifests.name(role), binding.path("roleRef").path("name").asText());
    JsonNode subject = binding.path("subjects").get(0);
    assertEquals(m.podTemplate().path("spec").path("serviceAccountName").asText(), subject.path("name").asText());
    assertEquals(NAMESPACE, subject.path("namespace").asText());
    for (Access a : needed) {
      assertTrue(stream(role.path("rules")).anyMatch(a::allowedBy), () -> a + " is not granted by " + role.path("rules"));
    }
    assertTrue(stream(role.path("rules")).anyMatch(Access.of("GET", "/api/v1/namespaces/" + NAMESPACE + "/pods?watch=true")::allowedBy));
    for (String verb : List.of("PATCH", "PUT", "DELETE")) {
      Access write = Access.of(verb, "/apis/apps/v1/namespaces/" + NAMESPACE + "/statefulsets/" + statefulSet);
      assertFalse(stream(role.path("rules")).anyMatch(write::allowedBy), () -> write + " is granted: " + role.path("rules"));
    }
  }

  /** The requests the mock server received since the last call, as RBAC accesses. */
  private List<Access> drain() throws InterruptedException {
    List<Access> out = new ArrayList<>();
    RecordedRequest r;
    while ((r = server.takeRequest(100, TimeUnit.MILLISECONDS)) != null) {
      out.add(Access.of(r.getMethod(), r.getPath()));
    }
    return out;
  }

  /** One API request as RBAC sees it: API group, resource (with subresource), object name, verb. */
  record Access(String group, String resource, String name, String verb) {
    static Access of(String method, String pathAndQuery) {
      URI uri = URI.create(pathAndQuery);
      String[] p = uri.getPath().replaceFirst("^/", "").split("/");
      // /api/v1/namespaces/NS/RES[/NAME[/SUB]] or /apis/GROUP/VERSION/namespaces/NS/RES[/NAME[/SUB]]
      int i = p[0].equals("api") ? 2 : 3;
      String group = p[0].equals("api") ? "" : p[1];
      if (!p[i].equals("namespaces")) {
        throw new IllegalArgumentException("not a namespaced request: " + pathAndQuery);
      }
      String resource = p[i + 2];
      String name = p.length > i + 3 ? p[i + 3] : "";
      if (p.length > i + 4) {
        resource += "/" + p[i + 4];
      }
      String query = uri.getQuery() == null ? "" : uri.getQuery();
      String verb = switch (method) {
        case "GET" -> query.contains("watch=true") ? "watch" : name.isEmpty() ? "list" : "get";
        case "PATCH" -> "patch";
        case "PUT" -> "update";
        case "POST" -> "create";
        case "DELETE" -> "delete";
        default -> throw new IllegalArgumentException(method);
      };
      return new Access(group, resource, name, verb);
    }

    boolean allowedBy(JsonNode rule) {
      return contains(rule.path("apiGroups"), group) && contains(rule.path("resources"), resource)
          && contains(rule.path("verbs"), verb)
          && (rule.path("resourceNames").isEmpty() || contains(rule.path("resourceNames"), name));
    }

    private static boolean contains(JsonNode array, String value) {
      return stream(array).anyMatch(v -> v.asText().equals(value) || v.asText().equals("*"));
    }
  }

  // ------------------------------------------------------------------ helpers of the checks

  private static List<String> args(Manifests m) {
    List<String> out = new ArrayList<>();
    m.container().path("args").forEach(a -> out.add(a.asText()));
    return out;
  }

  private static String flag(List<String> args, String name) {
    int i = args.indexOf(name);
    if (i < 0 || i + 1 >= args.size()) {
      fail(name + " not in the node's arguments " + args);
    }
    return args.get(i + 1);
  }

  /** The container's environment with the downward API filled in as Kubernetes would. */
  private static Map<String, String> env(Manifests m) {
    Map<String, String> env = new LinkedHashMap<>();
    for (JsonNode e : m.container().path("env")) {
      String field = e.path("valueFrom").path("fieldRef").path("fieldPath").asText();
      String value = switch (field) {
        case "" -> e.path("value").asText();
        case "status.podIP" -> POD_IP;
        case "metadata.namespace" -> NAMESPACE;
        case "metadata.name" -> Manifests.name(m.statefulSet()) + "-0";
        default -> throw new AssertionError("unexpected fieldRef " + field);
      };
      env.put(e.path("name").asText(), value);
    }
    return env;
  }

  /**
   * A profile's text as the node sees it in the pod: each optional substitution of an environment variable
   * (${?VAR}) replaced by the pod's value, if it has one (HOCON's semantics of ${?VAR}).
   */
  private static String inPod(String profile, Map<String, String> env) {
    Matcher m = Pattern.compile("\\$\\{\\?([A-Za-z_][A-Za-z0-9_]*)}").matcher(profile);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String v = env.get(m.group(1));
      m.appendReplacement(out, Matcher.quoteReplacement(v == null ? m.group() : ConfigValueFactory.fromAnyRef(v).render()));
    }
    return m.appendTail(out).toString();
  }

  private static Config resolve(Config c) {
    return c.resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(false));
  }

  private static int containerPort(Manifests m, String name) {
    return stream(m.container().path("ports")).filter(p -> p.path("name").asText().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no container port " + name)).path("containerPort").asInt();
  }

  private static JsonNode volumeMountedAt(Manifests m, String dir) {
    String volume = stream(m.container().path("volumeMounts")).filter(v -> v.path("mountPath").asText().equals(dir))
        .findFirst().orElseThrow(() -> new AssertionError("nothing mounted at " + dir)).path("name").asText();
    return stream(m.podTemplate().path("spec").path("volumes")).filter(v -> v.path("name").asText().equals(volume))
        .findFirst().orElseThrow(() -> new AssertionError("no volume " + volume));
  }

  private static Set<String> portNames(JsonNode ports) {
    Set<String> names = new LinkedHashSet<>();
    ports.forEach(p -> names.add(p.path("name").asText()));
    return names;
  }

  /** Whether a label selector (a map) selects objects with these labels. */
  static boolean selects(JsonNode selector, JsonNode labels) {
    if (selector.isEmpty()) {
      return false;
    }
    for (var e : selector.properties()) {
      if (!e.getValue().asText().equals(labels.path(e.getKey()).asText(null))) {
        return false;
      }
    }
    return true;
  }

  static java.util.stream.Stream<JsonNode> stream(JsonNode array) {
    List<JsonNode> l = new ArrayList<>();
    array.forEach(l::add);
    return l.stream();
  }
}
