package dev.istiod.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.istiod.e2e.IstiodProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Telemetry, WasmPlugin and ProxyConfig as a user of upstream Istio applies them: with this project's CRDs
 * ({@code crd-all.gen.yaml}) a real API server accepts valid objects of all three kinds under upstream's versions
 * and short names, refuses what the CRD schema forbids, and — with istiod's validating webhook registered as the
 * chart does — refuses what upstream's validation forbids, with istiod's reason. istiod says once per object what
 * it stores but does not apply.
 */
@Tag("e2e")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ExtensionKindsE2ETest {
  @RegisterExtension
  static final KubeCluster cluster = KubeCluster.perClass();

  static final Duration CONVERGENCE_BOUND = Duration.ofSeconds(60);
  static final String ISTIO_NAMESPACE = "istio-system";
  static final String NS = "ext";
  static final String DENIED =
      "admission webhook \"validation.istio.io\" denied the request: configuration is invalid: ";

  private static IstiodProcess istiod;
  /** Where this run's istiod log starts: the file of an earlier run in the same directory is appended to. */
  private static int logStart;

  @BeforeAll
  static void installIstiodWithValidation() throws IOException {
    Path dir = KubeTools.outputDir().resolve(ExtensionKindsE2ETest.class.getSimpleName()).resolve("istiod");
    cluster.installIstioCrds();
    cluster.apply(KubeYaml.namespace(ISTIO_NAMESPACE) + "---\n" + KubeYaml.namespace(NS));
    int before = Files.exists(dir.resolve("istiod.log")) ? Files.readString(dir.resolve("istiod.log")).length() : 0;
    istiod = IstiodProcess.start(Files.createDirectories(dir.resolve("config")), dir,
        Map.of("KUBECONFIG", cluster.kubeconfig().toString(), "ISTIOD_CUSTOM_HOST", "localhost"));
    logStart = Math.min(before, istiod.log().length());
    // As the charts install it: the revision's validator, and the default-revision one for unlabelled objects.
    Map<String, String> url = Map.of("base.validationURL", "https://localhost:" + istiod.httpsPort() + "/validate");
    cluster.apply(
        HelmTools.template("istiod", ISTIO_NAMESPACE, List.of("templates/validatingwebhookconfiguration.yaml"), url)
        + HelmTools.template("base", ISTIO_NAMESPACE,
            List.of("templates/defaultrevision-validatingwebhookconfiguration.yaml"), url));
  }

  @AfterAll
  static void stopIstiod() {
    if (istiod != null) {
      istiod.close();
    }
  }

  @Test
  void validObjects_areStoredUnderUpstreamsVersionsAndShortNames_andIstiodSaysOnceWhatItDoesNotApply(TestInfo info)
      throws IOException {
    Path work = KubeTools.workDir(info);
    Command.Result applied = cluster.kubectlWithInput(VALID, "apply", "-f", "-");
    Files.writeString(work.resolve("kubectl-apply-valid.txt"), applied.describe());

    assertThat(applied.ok()).as("kubectl apply: " + applied.describe()).isTrue();
    assertThat(applied.stdout()).contains("telemetry.telemetry.istio.io/mesh-logs created",
        "telemetry.telemetry.istio.io/metrics created", "wasmplugin.extensions.istio.io/auth created",
        "proxyconfig.networking.istio.io/two-threads created");
    assertThat(cluster.kubectl("get", "telemetry", "-n", NS, "-o", "name").stdout().lines().toList())
        .as("kubectl get telemetry (the short name)")
        .containsExactlyInAnyOrder("telemetry.telemetry.istio.io/mesh-logs", "telemetry.telemetry.istio.io/metrics");
    assertThat(cluster.kubectl("get", "telemetries.v1alpha1.telemetry.istio.io", "mesh-logs", "-n", NS,
        "-o", "jsonpath={.spec.accessLogging[0].match.mode}").stdout()).as("read back as v1alpha1").isEqualTo("SERVER");
    assertThat(cluster.kubectl("get", "proxyconfig", "two-threads", "-n", NS,
        "-o", "jsonpath={.spec.concurrency}").stdout()).isEqualTo("2");

    String wasmWarning = "WasmPlugin " + NS + "/auth (oci://ghcr.io/example/auth:1.0) is stored and validated but "
        + "not applied";
    String metricsWarning = "Telemetry " + NS + "/metrics is stored but not fully applied: metrics";
    String proxyConfigWarning = "ProxyConfig " + NS + "/two-threads is stored and validated but not applied";
    await("istiod says what it does not apply (log " + istiod.logFile() + ")").atMost(CONVERGENCE_BOUND)
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> assertThat(log()).contains(wasmWarning, metricsWarning, proxyConfigWarning));
    // An edit that changes nothing istiod ignores is not reported again; the access-logging-only Telemetry never.
    cluster.kubectl("annotate", "wasmplugin", "auth", "-n", NS, "e2e/touched=yes");
    cluster.kubectl("annotate", "telemetry", "mesh-logs", "-n", NS, "e2e/touched=yes");
    await("istiod has seen the edit").atMost(CONVERGENCE_BOUND).pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> assertThat(count(istiod.get(istiod.httpUri("/debug/configz")).body(), "e2e/touched"))
            .isEqualTo(2));
    assertThat(count(log(), wasmWarning)).as("WasmPlugin warnings").isEqualTo(1);
    assertThat(log()).doesNotContain("Telemetry " + NS + "/mesh-logs");
  }

  @Test
  void invalidObjects_areRefusedByTheCrdSchemaOrByIstiodsWebhook_andNotStored(TestInfo info) throws IOException {
    Path work = KubeTools.workDir(info);
    String emptyProvider = telemetry("empty-provider", "accessLogging: [{providers: [{}]}]");
    await("the API server calls istiod's validation").atMost(CONVERGENCE_BOUND).pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> assertThat(cluster.kubectlWithInput(emptyProvider, "apply", "--dry-run=server", "-f", "-")
            .stderr()).contains(DENIED));

    Map<String, String> refusals = Map.of(
        // The CRD schema: an enum value upstream does not have, and WasmPlugin's required spec.
        telemetry("bad-mode", "accessLogging: [{match: {mode: BOTH}}]"), "Unsupported value: \"BOTH\"",
        """
            apiVersion: extensions.istio.io/v1alpha1
            kind: WasmPlugin
            metadata: {name: no-spec, namespace: %s}
            """.formatted(NS), "spec: Required value",
        // istiod's webhook: upstream's validation rules and messages.
        emptyProvider, DENIED + "providers.name may not be empty",
        """
            apiVersion: extensions.istio.io/v1alpha1
            kind: WasmPlugin
            metadata: {name: ftp, namespace: %s}
            spec: {url: "ftp://example.com/filter.wasm"}
            """.formatted(NS), DENIED + "url contains unsupported scheme: ftp",
        """
            apiVersion: networking.istio.io/v1beta1
            kind: ProxyConfig
            metadata: {name: negative, namespace: %s}
            spec: {concurrency: -1}
            """.formatted(NS), DENIED + "concurrency must be greater than or equal to 0");
    StringBuilder transcript = new StringBuilder();
    for (Map.Entry<String, String> r : refusals.entrySet()) {
      Command.Result refused = cluster.kubectlWithInput(r.getKey(), "apply", "-f", "-");
      transcript.append(refused.describe()).append("\n\n");
      assertThat(refused.ok()).as("kubectl apply of\n" + r.getKey() + refused.describe()).isFalse();
      assertThat(refused.stderr()).contains(r.getValue());
    }
    Files.writeString(work.resolve("kubectl-apply-invalid.txt"), transcript);
    assertThat(cluster.kubectl("get", "telemetries,wasmplugins,proxyconfigs", "-n", NS, "-o", "name").stdout())
        .as("nothing refused was stored")
        .doesNotContain("bad-mode", "no-spec", "empty-provider", "/ftp", "negative");
  }

  /** This run's istiod log. */
  private static String log() {
    return istiod.log().substring(logStart);
  }

  private static int count(String text, String part) {
    Matcher m = Pattern.compile(Pattern.quote(part)).matcher(text);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }

  private static String telemetry(String name, String spec) {
    return """
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {name: %s, namespace: %s}
        spec: {%s}
        """.formatted(name, NS, spec);
  }

  static final String VALID = """
      apiVersion: telemetry.istio.io/v1
      kind: Telemetry
      metadata: {name: mesh-logs, namespace: ext}
      spec:
        accessLogging:
        - providers: [{name: envoy}]
          match: {mode: SERVER}
          filter: {expression: "response.code >= 400"}
      ---
      apiVersion: telemetry.istio.io/v1alpha1
      kind: Telemetry
      metadata: {name: metrics, namespace: ext}
      spec:
        selector:
          matchLabels: {app: reviews}
        metrics:
        - providers: [{name: prometheus}]
          overrides:
          - match: {metric: REQUEST_COUNT, mode: CLIENT}
            tagOverrides:
              response_code: {operation: REMOVE}
      ---
      apiVersion: extensions.istio.io/v1alpha1
      kind: WasmPlugin
      metadata: {name: auth, namespace: ext}
      spec:
        selector:
          matchLabels: {app: reviews}
        url: oci://ghcr.io/example/auth:1.0
        phase: AUTHN
        pluginConfig: {header: x-auth}
      ---
      apiVersion: networking.istio.io/v1beta1
      kind: ProxyConfig
      metadata: {name: two-threads, namespace: ext}
      spec:
        concurrency: 2
        environmentVariables: {ISTIO_META_EXAMPLE: "yes"}
      """;
}
