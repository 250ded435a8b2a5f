package dev.istiod.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.istiod.e2e.IstiodProcess;
import dev.istiod.e2e.SynczView;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * istiod's admission webhooks as a real kube-apiserver calls them. The webhook configurations and the injector
 * ConfigMap are the project's charts rendered with helm, as an install with istiod outside the cluster would have
 * them ({@code istiodRemote.injectionURL}, {@code base.validationURL}: {@code https://localhost:<port>/...}, and
 * {@code ISTIOD_CUSTOM_HOST=localhost} so that istiod's serving certificate names that host): created with no
 * caBundle and validation failing open, they are completed by istiod itself. Then the API server refuses invalid
 * Istio config with istiod's reason, stores Pods of injection-enabled namespaces with the sidecar, and the stored
 * istio-proxy container, run as a kubelet would run it, is a working stock pilot-agent.
 */
@Tag("e2e")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class WebhooksE2ETest {
  @RegisterExtension
  static final KubeCluster cluster = KubeCluster.perClass();

  static final Duration CONVERGENCE_BOUND = Duration.ofSeconds(60);
  static final String ISTIO_NAMESPACE = "istio-system";
  static final String NODE = "webhook-node";
  static final String INJECTOR = "istio-sidecar-injector";
  static final List<String> VALIDATORS = List.of("istio-validator-istio-system", "istiod-default-validator");
  static final String DENIED =
      "admission webhook \"validation.istio.io\" denied the request: configuration is invalid: ";
  private static final ObjectMapper JSON = new ObjectMapper();

  private static IstiodProcess istiod;
  private static String installedWebhooks;

  @BeforeAll
  static void installIstiod() throws IOException {
    Path dir = KubeTools.outputDir().resolve(WebhooksE2ETest.class.getSimpleName()).resolve("istiod");
    cluster.installIstioCrds();
    cluster.apply(KubeYaml.namespace(ISTIO_NAMESPACE) + "---\n" + KubeYaml.node(NODE));
    // The node's kubelet is as new as the API server (1.33), so istiod's ENABLE_NATIVE_SIDECARS=auto turns
    // native sidecars on. Reported before istiod starts, so its node informer never sees the node without it.
    String version = JSON.readTree(cluster.kubectl("version", "-o", "json").stdout())
        .path("serverVersion").path("gitVersion").asText();
    cluster.kubectl("patch", "node", NODE, "--subresource=status", "--type=merge",
        "-p", "{\"status\":{\"nodeInfo\":{\"kubeletVersion\":\"" + version + "\"}}}");
    // The injector's settings do not depend on where istiod listens: installed first, as with the chart.
    cluster.apply(HelmTools.template("istiod", ISTIO_NAMESPACE, List.of("templates/istiod-injector-configmap.yaml"),
        Map.of()));

    istiod = IstiodProcess.start(Files.createDirectories(dir.resolve("config")), dir,
        Map.of("KUBECONFIG", cluster.kubeconfig().toString(), "ISTIOD_CUSTOM_HOST", "localhost"));

    String url = "https://localhost:" + istiod.httpsPort();
    installedWebhooks = HelmTools.template("istiod", ISTIO_NAMESPACE,
        List.of("templates/mutatingwebhook.yaml", "templates/validatingwebhookconfiguration.yaml"),
        Map.of("istiodRemote.injectionURL", url + "/inject", "base.validationURL", url + "/validate"))
        + HelmTools.template("base", ISTIO_NAMESPACE,
        List.of("templates/defaultrevision-validatingwebhookconfiguration.yaml"),
        Map.of("base.validationURL", url + "/validate"));
    cluster.apply(installedWebhooks);
  }

  @AfterAll
  static void stopIstiod() {
    if (istiod != null) {
      istiod.close();
    }
  }

  @Test
  void webhookConfigurationsInstalledWithoutCaBundle_getIstiodsRoot_andValidationFailsClosed() {
    assertThat(installedWebhooks).as("the configurations as installed")
        .doesNotContain("caBundle")
        .contains("failurePolicy: Ignore");

    awaitWebhooksCompletedByIstiod();

    X509Certificate root = rootCertificate();
    assertThat(webhooks("mutatingwebhookconfiguration", INJECTOR)).as("the injector's webhooks").hasSize(4)
        .allSatisfy(webhook -> assertThat(caBundle(webhook)).containsExactly(root))
        .allSatisfy(webhook -> assertThat(webhook.path("failurePolicy").asText()).isEqualTo("Fail"));
    for (String validator : VALIDATORS) {
      assertThat(webhooks("validatingwebhookconfiguration", validator)).as(validator).hasSize(1)
          .allSatisfy(webhook -> assertThat(caBundle(webhook)).containsExactly(root))
          .allSatisfy(webhook -> assertThat(webhook.path("failurePolicy").asText()).isEqualTo("Fail"));
    }
  }

  @Test
  void anInvalidVirtualService_isRefusedWithIstiodsReason_andNotStored_whileAValidOneIsStored(TestInfo info) {
    Path workDir = KubeTools.workDir(info);
    String ns = "validated";
    cluster.apply(KubeYaml.namespace(ns));
    String invalid = KubeYaml.virtualServiceWithBadRegex("broken", ns, KubeYaml.host("reviews", ns));
    awaitValidationEnforced(invalid);

    Command.Result refused = cluster.kubectlWithInput(invalid, "apply", "-f", "-");
    save(workDir.resolve("kubectl-apply-invalid.txt"), refused.describe());

    assertThat(refused.ok()).as("kubectl apply of an invalid VirtualService: " + refused.describe()).isFalse();
    assertThat(refused.stderr()).contains(DENIED).contains("([unclosed");
    Command.Result stored = cluster.tryKubectl("get", "virtualservice", "broken", "-n", ns);
    assertThat(stored.ok()).as("the refused VirtualService was not stored: " + stored.describe()).isFalse();
    assertThat(stored.stderr()).contains("NotFound");

    cluster.apply(KubeYaml.virtualServiceTo("reviews", ns, KubeYaml.host("reviews", ns), "v1"));
    assertThat(cluster.kubectl("get", "virtualservice", "reviews", "-n", ns,
        "-o", "jsonpath={.spec.http[0].route[0].destination.subset}").stdout()).isEqualTo("v1");
  }

  @Test
  void aPodInAnInjectionEnabledNamespace_isStoredWithTheSidecar_andTheSamePodElsewhereOrOptedOutIsUntouched(
      TestInfo info) {
    Path workDir = KubeTools.workDir(info);
    awaitWebhooksCompletedByIstiod();
    cluster.apply(injectionNamespace("injected") + "---\n" + serviceAccount("injected", "reviews")
        + "---\n" + KubeYaml.namespace("plain") + "---\n" + serviceAccount("plain", "reviews"));
    Map<String, String> labels = Map.of("app", "reviews", "version", "v1");

    JsonNode injected = createPod("injected", "reviews-v1", labels);
    JsonNode plain = createPod("plain", "reviews-v1", labels);
    Map<String, String> optOut = Map.of("app", "reviews", "version", "v1", "sidecar.istio.io/inject", "false");
    JsonNode optedOut = createPod("injected", "reviews-v1-opted-out", optOut);
    save(workDir.resolve("injected-pod.json"), injected.toPrettyString());
    save(workDir.resolve("plain-pod.json"), plain.toPrettyString());

    JsonNode spec = injected.path("spec");
    assertThat(names(spec.path("initContainers"))).as("init containers: istio-init, then istio-proxy as a native "
        + "sidecar (the node's kubelet is 1.33)").containsExactly("istio-init", "istio-proxy");
    JsonNode proxy = spec.path("initContainers").get(1);
    assertThat(proxy.path("restartPolicy").asText()).isEqualTo("Always");
    assertThat(names(spec.path("containers"))).containsExactly("app");
    assertThat(spec.path("containers").get(0)).as("the app container")
        .isEqualTo(plain.path("spec").path("containers").get(0));
    assertThat(names(proxy.path("volumeMounts"))).contains("istio-envoy", "istio-data", "istio-token",
        "istiod-ca-cert", "istio-podinfo", "workload-socket");
    JsonNode volumes = spec.path("volumes");
    assertThat(volume(volumes, "istio-token").path("projected").path("sources").get(0).path("serviceAccountToken")
        .path("audience").asText()).isEqualTo("istio-ca");
    assertThat(volume(volumes, "istiod-ca-cert").path("configMap").path("name").asText())
        .isEqualTo("istio-ca-root-cert");
    assertThat(volume(volumes, "istio-envoy").path("emptyDir").path("medium").asText()).isEqualTo("Memory");

    JsonNode status = json(injected.path("metadata").path("annotations").path("sidecar.istio.io/status").asText());
    assertThat(status.path("revision").asText()).isEqualTo("default");
    assertThat(names(status.path("initContainers"))).as("sidecar.istio.io/status initContainers")
        .containsExactlyElementsOf(names(spec.path("initContainers")));
    assertThat(names(status.path("volumes"))).as("sidecar.istio.io/status volumes")
        .isNotEmpty()
        .allSatisfy(name -> assertThat(volume(volumes, name)).as("volume " + name).isNotNull());
    assertThat(injected.path("metadata").path("labels").path("security.istio.io/tlsMode").asText()).isEqualTo("istio");
    assertThat(injected.path("metadata").path("labels").path("service.istio.io/canonical-name").asText())
        .isEqualTo("reviews");

    assertThat(plain.path("spec").has("initContainers")).as("init containers in the unlabelled namespace").isFalse();
    assertThat(names(plain.path("spec").path("containers"))).containsExactly("app");
    assertThat(plain.path("metadata").path("annotations").has("sidecar.istio.io/status")).isFalse();
    assertThat(plain.path("metadata").path("labels")).isEqualTo(JSON.valueToTree(labels));
    assertThat(optedOut.path("spec").has("initContainers")).as("init containers of the opted-out Pod").isFalse();
    assertThat(names(optedOut.path("spec").path("containers"))).containsExactly("app");
    assertThat(optedOut.path("metadata").path("labels")).isEqualTo(JSON.valueToTree(optOut));
  }

  @Test
  void aPodTheInjectorCannotInject_isRefusedWithTheInjectorsReason_andNotStored(TestInfo info) {
    Path workDir = KubeTools.workDir(info);
    awaitWebhooksCompletedByIstiod();
    String ns = "refused";
    cluster.apply(injectionNamespace(ns) + "---\n" + serviceAccount(ns, "reviews"));
    createPod(ns, "reviews-v1", Map.of("app", "reviews")); // the API server calls the injector by now
    String pod = KubeYaml.pod("unknown-template", ns, NODE, Map.of("app", "reviews"),
        Map.of("inject.istio.io/templates", "no-such-template"), "reviews", 9080);

    Command.Result refused = cluster.kubectlWithInput(pod, "create", "-f", "-");
    save(workDir.resolve("kubectl-create-refused.txt"), refused.describe());

    assertThat(refused.ok()).as("kubectl create of a Pod asking for an unknown template: " + refused.describe())
        .isFalse();
    assertThat(refused.stderr()).contains("admission webhook \"namespace.sidecar-injector.istio.io\" denied the "
        + "request: ").contains("\"no-such-template\" not found");
    assertThat(cluster.tryKubectl("get", "pod", "unknown-template", "-n", ns).stderr()).contains("NotFound");
  }

  /** Where the injector puts istio-proxy: a native sidecar (this node's default) or, opted out, a container. */
  enum Placement {
    NATIVE_SIDECAR(Map.of(), "initContainers"),
    CONTAINER(Map.of("sidecar.istio.io/nativeSidecar", "false"), "containers");

    final Map<String, String> annotations;
    final String list;

    Placement(Map<String, String> annotations, String list) {
      this.annotations = annotations;
      this.list = list;
    }
  }

  @ParameterizedTest
  @EnumSource(Placement.class)
  void theStoredIstioProxyContainer_runAsAKubeletWould_isAStockPilotAgentThatGetsItsCertificateAndConfig(
      Placement placement, TestInfo info) {
    awaitWebhooksCompletedByIstiod();
    Path workDir = KubeTools.workDir(info, placement.name().toLowerCase(java.util.Locale.ROOT));
    String ns = "mesh-app";
    cluster.apply(injectionNamespace(ns) + "---\n" + serviceAccount(ns, "reviews"));
    var workload = new PilotAgentProcess.Workload("reviews-v1-" + placement.name().toLowerCase(java.util.Locale.ROOT)
        .replace('_', '-'), ns, "reviews");

    try (TestHost host = TestHost.create();
        TcpRelay istiodRelay = TcpRelay.start(host.machineAddress(), 15012, istiod.secureGrpcPort())) {
      JsonNode created = createPod(ns, workload.pod(), Map.of("app", "reviews", "version", "v1"),
          placement.annotations);
      assertThat(names(created.path("spec").path(placement.list))).as(placement.list).contains("istio-proxy");
      // What the kubelet reports once the Pod's sandbox has its IP on the node.
      cluster.kubectl("patch", "pod", workload.pod(), "-n", ns, "--subresource=status", "--type=merge", "-p", """
          {"status":{"phase":"Running","hostIP":"%1$s","hostIPs":[{"ip":"%1$s"}],"podIP":"%2$s",
           "podIPs":[{"ip":"%2$s"}],"conditions":[{"type":"Ready","status":"True"}]}}"""
          .formatted(host.machineAddress(), host.address()));

      Kubelet kubelet = Kubelet.forPod(cluster, ns, workload.pod());
      save(workDir.resolve("stored-pod.json"), kubelet.pod().toPrettyString());
      JsonNode container = kubelet.container("istio-proxy");
      Map<String, String> env = kubelet.env(container);
      List<String> commandLine = kubelet.commandLine(container, env);
      Path root = workDir.resolve("istio-proxy-root");
      kubelet.mountVolumes(container, root);
      assertThat(env).containsEntry("INSTANCE_IP", host.address()).containsEntry("POD_NAME", workload.pod())
          .containsEntry("SERVICE_ACCOUNT", "reviews");
      assertThat(commandLine).as("the image's entrypoint (pilot-agent) takes these").startsWith("proxy", "sidecar");
      // Cluster DNS stands in as a host alias: the Service name the injected CA_ADDR names, at a relay to istiod.
      assertThat(env).containsKey("CA_ADDR");
      String istiodService = env.get("CA_ADDR").substring(0, env.get("CA_ADDR").lastIndexOf(':'));
      assertThat(env.get("CA_ADDR")).isEqualTo(istiodService + ":15012");

      try (PilotAgentProcess agent = PilotAgentProcess.startContainer(host, workload, commandLine, env,
          Map.of(istiodService, host.machineAddress()), root, workDir.resolve("istio-proxy.log"))) {
        agent.awaitReady();
        await("Envoy holds the workload certificate istiod issued (" + agent.logFile() + ")")
            .atMost(CONVERGENCE_BOUND).pollInterval(Duration.ofMillis(500))
            .untilAsserted(() -> assertThat(agent.envoyAdmin("/certs")).contains(workload.spiffeId()));
        assertThat(agent.envoyStat("cluster_manager.cds.update_success")).as("CDS updates").isPositive();
        assertThat(agent.envoyStat("listener_manager.lds.update_success")).as("LDS updates").isPositive();
        assertThat(agent.envoyStats("update_rejected$")).as("Envoy update_rejected stats (see " + agent.logFile() + ")")
            .isNotEmpty()
            .allSatisfy((name, value) -> assertThat(value).as(name).isZero());
        assertThat(SynczView.entryFor(istiod.syncz(), workload.proxyId())).as("istiod's syncz").isNotNull();
        String token = read(root.resolve("var/run/secrets/tokens/istio-token"));
        assertThat(istiod.log()).as("istiod's log never shows a token").doesNotContain(token);
      }
    }
  }

  /** Both validators and the injector carry a caBundle, and both validators fail closed. */
  private static void awaitWebhooksCompletedByIstiod() {
    await("istiod completes the webhook configurations (log " + istiod.logFile() + ")")
        .atMost(CONVERGENCE_BOUND).pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> {
          assertThat(webhooks("mutatingwebhookconfiguration", INJECTOR))
              .allSatisfy(webhook -> assertThat(webhook.path("clientConfig").path("caBundle").asText()).isNotEmpty());
          for (String validator : VALIDATORS) {
            assertThat(webhooks("validatingwebhookconfiguration", validator)).allSatisfy(webhook -> {
              assertThat(webhook.path("clientConfig").path("caBundle").asText()).isNotEmpty();
              assertThat(webhook.path("failurePolicy").asText()).isEqualTo("Fail");
            });
          }
        });
  }

  /**
   * The configurations are complete and the API server, which watches them, acts on them: a server-side dry run
   * of {@code invalid} is refused by istiod.
   */
  private static void awaitValidationEnforced(String invalid) {
    awaitWebhooksCompletedByIstiod();
    await("the API server calls istiod's validation").atMost(CONVERGENCE_BOUND).pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> assertThat(cluster.kubectlWithInput(invalid, "apply", "--dry-run=server", "-f", "-")
            .stderr()).contains(DENIED));
  }

  /**
   * Creates a Pod on the test node as a controller would and returns it as stored. While the API server has not
   * yet picked up the injector's patched caBundle, a create in an injection namespace fails (failurePolicy Fail)
   * and is retried; anything else is a failure.
   */
  private static JsonNode createPod(String namespace, String name, Map<String, String> labels) {
    return createPod(namespace, name, labels, Map.of());
  }

  private static JsonNode createPod(String namespace, String name, Map<String, String> labels,
      Map<String, String> annotations) {
    String pod = KubeYaml.pod(name, namespace, NODE, labels, annotations, "reviews", 9080);
    await("Pod " + namespace + "/" + name + " created").atMost(CONVERGENCE_BOUND).pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> {
          Command.Result created = cluster.kubectlWithInput(pod, "create", "-f", "-");
          if (!created.ok() && !created.stderr().contains("failed calling webhook")) {
            throw new IllegalStateException(created.describe()); // not retried
          }
          assertThat(created.ok()).as(created.describe()).isTrue();
        });
    return Kubelet.storedPod(cluster, namespace, name);
  }

  private static String injectionNamespace(String name) {
    return """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: %s
          labels:
            istio-injection: enabled
        """.formatted(name);
  }

  private static String serviceAccount(String namespace, String name) {
    return """
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: %s
          namespace: %s
        """.formatted(name, namespace);
  }

  private static List<JsonNode> webhooks(String kind, String name) {
    JsonNode configuration = json(cluster.kubectl("get", kind, name, "-o", "json").stdout());
    List<JsonNode> webhooks = new ArrayList<>();
    configuration.path("webhooks").forEach(webhooks::add);
    return webhooks;
  }

  private static List<X509Certificate> caBundle(JsonNode webhook) {
    String base64 = webhook.path("clientConfig").path("caBundle").asText();
    return PilotAgentProcess.parseChain(Base64.getDecoder().decode(base64));
  }

  /** The root istiod publishes to every namespace (istio-ca-root-cert), here its own. */
  private static X509Certificate rootCertificate() {
    String pem = await("istiod publishes its root to " + ISTIO_NAMESPACE).atMost(CONVERGENCE_BOUND)
        .pollInterval(Duration.ofMillis(250))
        .until(() -> cluster.tryKubectl("get", "configmap", "istio-ca-root-cert", "-n", ISTIO_NAMESPACE,
            "-o", "jsonpath={.data.root-cert\\.pem}").stdout(), text -> text.contains("BEGIN CERTIFICATE"));
    return PilotAgentProcess.parseChain(pem.getBytes(java.nio.charset.StandardCharsets.UTF_8)).getFirst();
  }

  private static List<String> names(JsonNode items) {
    return StreamSupport.stream(items.spliterator(), false)
        .map(item -> item.isTextual() ? item.asText() : item.path("name").asText()).toList();
  }

  private static JsonNode volume(JsonNode volumes, String name) {
    return StreamSupport.stream(volumes.spliterator(), false).filter(v -> v.path("name").asText().equals(name))
        .findFirst().orElse(null);
  }

  private static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON: " + text, e);
    }
  }

  private static void save(Path file, String content) {
    try {
      Files.writeString(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
