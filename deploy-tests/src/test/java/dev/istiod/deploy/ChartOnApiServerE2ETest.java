package dev.istiod.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The charts against a real kube-apiserver: every golden rendering passes the server's own validation (a
 * server-side dry run), and {@code helm install} / {@code upgrade} / {@code uninstall} do what a user expects,
 * with istiod (a local process) running on nothing but the credentials of the chart's ServiceAccount.
 */
@Tag("e2e")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChartOnApiServerE2ETest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NS = Repo.ISTIO_NAMESPACE;

  private TestCluster cluster;
  private Path work;

  @BeforeAll
  void startCluster() {
    work = Repo.workDir("ChartOnApiServerE2ETest");
    cluster = TestCluster.start(work.resolve("cluster"));
    // The namespaces the golden scenarios render into (base-revision uses mesh-system).
    cluster.kubectl(null, "create", "namespace", NS).orFail();
    cluster.kubectl(null, "create", "namespace", "mesh-system").orFail();
  }

  @AfterAll
  void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static List<String> scenarios() {
    return Golden.scenarios();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void renderingPassesServerSideDryRun(String scenario) {
    String rendered = Helm.template(Golden.chartOf(scenario),
        "-f", Golden.dir().resolve(scenario).resolve("values.yaml").toString()).orFail().stdout();
    Command.Result result = cluster.kubectl(rendered, "apply", "--server-side", "--dry-run=server",
        "--field-manager=deploy-tests", "-f", "-");
    assertThat(result.ok()).as(result::describe).isTrue();
  }

  @Test
  void installRunUpgradeUninstall() {
    helm("install", "base", Repo.chart("base").toString(), "-n", NS);
    helm("install", "istiod", Repo.chart("istiod").toString(), "-n", NS);

    assertThat(get("validatingwebhookconfiguration", "istiod-default-validator").at("/webhooks/0/failurePolicy")
        .asText()).isEqualTo("Ignore");
    assertThat(get("crd", "virtualservices.networking.istio.io").at("/metadata/labels/app.kubernetes.io~1instance")
        .asText()).isEqualTo("base");
    JsonNode deployment = get("deployment", "istiod");
    assertThat(deployment.at("/spec/template/spec/serviceAccountName").asText()).isEqualTo("istiod");
    assertThat(get("service", "istiod").at("/spec/ports").findValuesAsText("name"))
        .containsExactly("grpc-xds", "https-dns", "https-webhook", "http-monitoring");
    assertThat(get("mutatingwebhookconfiguration", "istio-sidecar-injector").at("/webhooks").size()).isEqualTo(4);
    assertThat(exists("horizontalpodautoscaler", "istiod")).isTrue();

    runIstiodWithTheChartsServiceAccount();

    helm("upgrade", "istiod", Repo.chart("istiod").toString(), "-n", NS,
        "--set", "autoscaleEnabled=false", "--set", "replicaCount=2");
    assertThat(get("deployment", "istiod").at("/spec/replicas").asInt()).isEqualTo(2);
    assertThat(exists("horizontalpodautoscaler", "istiod")).isFalse();
    assertThat(get("poddisruptionbudget", "istiod").at("/spec/minAvailable").asInt()).isEqualTo(1);

    helm("uninstall", "istiod", "-n", NS);
    assertThat(exists("deployment", "istiod")).isFalse();
    assertThat(exists("mutatingwebhookconfiguration", "istio-sidecar-injector")).isFalse();
    assertThat(exists("clusterrole", "istiod-clusterrole-istio-system")).isFalse();

    helm("uninstall", "base", "-n", NS);
    assertThat(exists("validatingwebhookconfiguration", "istiod-default-validator")).isFalse();
    // helm.sh/resource-policy: keep — uninstalling must not take everyone's Istio configuration with it.
    assertThat(exists("crd", "virtualservices.networking.istio.io")).isTrue();
  }

  /**
   * istiod with a token of the chart's ServiceAccount (TokenRequest) and nothing else: every informer must sync
   * (else /ready never answers), the CA must create istio-ca-secret and publish the root certificate to the
   * namespaces, and nothing may be refused along the way.
   */
  private void runIstiodWithTheChartsServiceAccount() {
    String token = cluster.kubectl(null, "create", "token", "istiod", "-n", NS, "--duration=1h").orFail()
        .stdout().strip();
    Path kubeconfig = work.resolve("istiod-sa.kubeconfig");
    Repo.write(kubeconfig, """
        apiVersion: v1
        kind: Config
        clusters:
        - name: test
          cluster:
            server: %s
            certificate-authority: %s
        users:
        - name: istiod
          user:
            token: %s
        contexts:
        - name: istiod
          context: {cluster: test, user: istiod}
        current-context: istiod
        """.formatted(cluster.apiServerUrl(), cluster.caCertificate(), token));
    Map<String, String> env = Map.of("POD_NAMESPACE", NS, "POD_NAME", "istiod-local", "REVISION", "default",
        "SERVICE_ACCOUNT", "istiod", "ISTIOD_LOCAL_CA_DIR", work.resolve("unused-ca").toString());
    try (LocalIstiod istiod = LocalIstiod.start(kubeconfig, env, work)) {
      istiod.awaitReady(Duration.ofMinutes(3));
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1))
          .untilAsserted(() -> {
            assertThat(exists("secret", "istio-ca-secret")).as("istio-ca-secret in " + NS).isTrue();
            assertThat(cluster.kubectl(null, "get", "configmap", "istio-ca-root-cert", "-n", "default").ok())
                .as("istio-ca-root-cert published to namespace default").isTrue();
          });
      assertThat(istiod.log()).as("istiod's log").doesNotContainIgnoringCase("forbidden");
    }
  }

  private void helm(String... args) {
    Command.Result result = Helm.run(cluster.clientEnv(), List.of(args));
    assertThat(result.ok()).as(result::describe).isTrue();
  }

  private JsonNode get(String kind, String name) {
    Command.Result result = cluster.kubectl(null, namespaced(kind, name, "-o", "json")).orFail();
    try {
      return JSON.readTree(result.stdout());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private boolean exists(String kind, String name) {
    Command.Result result = cluster.kubectl(null, namespaced(kind, name, "--ignore-not-found", "-o", "name"));
    assertThat(result.ok()).as(result::describe).isTrue();
    return !result.stdout().isBlank();
  }

  private static String[] namespaced(String kind, String name, String... more) {
    List<String> args = new ArrayList<>(List.of("get", kind, name, "-n", NS));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }
}
