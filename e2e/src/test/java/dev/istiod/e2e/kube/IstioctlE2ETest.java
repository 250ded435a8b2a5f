package dev.istiod.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The real istioctl against istiod over xDS, as users run it against an istiod that is not a Pod
 * ({@code --xds-address}): a sidecar (Istio's pilot-agent and upstream Envoy) is connected over the secure port,
 * istioctl authenticates there with a Kubernetes token it requests itself, and what it prints is what a user reads.
 */
@Tag("e2e")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class IstioctlE2ETest {
  @RegisterExtension
  static final KubeCluster cluster = KubeCluster.perClass();

  private static final String ISTIOD_ID = "istiod-e2e-0";
  private static final PilotAgentProcess.Workload SLEEP = new PilotAgentProcess.Workload("sleep-1", "default", "sleep");
  private static final String HTTPBIN_CLUSTER = "outbound|8000||httpbin.default.svc.cluster.local";
  private static final List<String> ENVOY_TYPES = List.of("CDS", "LDS", "EDS", "RDS");
  private static PilotAgentMesh mesh;
  private static PilotAgentPod sleep;
  private static Path dir;

  @BeforeAll
  static void startMeshWithOneSidecar() {
    dir = KubeTools.outputDir().resolve(IstioctlE2ETest.class.getSimpleName());
    deleteRecursively(dir.resolve("sleep")); // the agent lays its files out afresh
    mesh = PilotAgentMesh.start(cluster, dir.resolve("istiod"), Map.of("POD_NAME", ISTIOD_ID));
    mesh.serviceAccount(SLEEP.namespace(), SLEEP.serviceAccount());
    // An HTTP service in the mesh, so the sidecar's outbound listener takes its routes over RDS.
    cluster.apply(KubeYaml.service("httpbin", SLEEP.namespace(), "httpbin", 8000));
    // istioctl asks the API server for a token of this account (its istio namespace's "default").
    mesh.serviceAccount("istio-system", "default");
    sleep = mesh.startPod(SLEEP, mesh.token(SLEEP.namespace(), SLEEP.serviceAccount()), dir.resolve("sleep"));
    sleep.agent().awaitReady();
  }

  @AfterAll
  static void stop() {
    if (sleep != null) {
      sleep.close();
    }
    if (mesh != null) {
      mesh.close();
    }
  }

  private static Istioctl secureIstioctl(Path home) {
    return Istioctl.secure(cluster, mesh.istiod().secureGrpcPort(), home);
  }

  @Test
  void proxyStatus_listsTheSidecar_syncedForEveryTypeItWatches(TestInfo info) {
    Istioctl istioctl = secureIstioctl(KubeTools.workDir(info));

    Map<String, String> row = await("istioctl proxy-status shows " + SLEEP.proxyId() + " synced")
        .atMost(PilotAgentMesh.CONVERGENCE_BOUND)
        .until(() -> {
          Command.Result result = istioctl.run("proxy-status", "-v", "1").orFail();
          List<Map<String, String>> rows = Istioctl.table(result.stdout());
          assertThat(rows).as("rows of\n" + result.stdout() + "\n(istioctl's own query is no proxy)").hasSize(1);
          return rows.getFirst();
        }, r -> ENVOY_TYPES.stream().allMatch(t -> r.getOrDefault(t, "").startsWith("SYNCED")));

    assertThat(row).containsEntry("NAME", SLEEP.proxyId())
        .containsEntry("CLUSTER", "Kubernetes")
        .containsEntry("ISTIOD", ISTIOD_ID)
        .as("VERSION is the agent's").containsEntry("VERSION", agentVersion());

    assertThat(row.get("ECDS")).as("a type the sidecar never asked for").isEqualTo("IGNORED");

    Command.Result brief = istioctl.run("proxy-status").orFail();
    assertThat(Istioctl.table(brief.stdout())).singleElement().satisfies(r -> assertThat(r.get("SUBSCRIBED TYPES"))
        .as("subscribed types of\n" + brief.stdout()).isEqualTo("4 (CDS,LDS,EDS,RDS)"));
  }

  @Test
  void proxyStatusOfOneSidecar_findsIstiodsConfigIsWhatEnvoyHolds(TestInfo info) throws IOException {
    Path work = KubeTools.workDir(info);
    Istioctl istioctl = secureIstioctl(work);
    // istioctl would port-forward to the Pod's admin port for this; --file is its way to take Envoy's dump directly.
    String dump = await("Envoy holds the httpbin cluster").atMost(PilotAgentMesh.CONVERGENCE_BOUND)
        .until(() -> sleep.agent().envoyAdmin("/config_dump"), d -> d.contains(HTTPBIN_CLUSTER));
    Path envoyDump = Files.writeString(work.resolve("envoy-config_dump.json"), dump);

    Command.Result result = istioctl.run("proxy-status", SLEEP.proxyId(), "--file", envoyDump.toString()).orFail();

    Files.writeString(work.resolve("istioctl-proxy-status.txt"), result.stdout());
    assertThat(result.stdout()).as(result.describe())
        .contains("Clusters Match").contains("Listeners Match").contains("Routes Match")
        .doesNotContain("Don't Match");

    // The comparison is real: an Envoy that lost the httpbin cluster differs from what istiod would send it.
    Path tampered = Files.writeString(work.resolve("envoy-config_dump-tampered.json"),
        dump.replace(HTTPBIN_CLUSTER, "outbound|8000||elsewhere.default.svc.cluster.local"));
    Command.Result differs = istioctl.run("proxy-status", SLEEP.proxyId(), "--file", tampered.toString()).orFail();
    assertThat(differs.stdout()).as(differs.describe()).contains("Clusters Don't Match").contains(HTTPBIN_CLUSTER);
  }

  @Test
  void proxyStatusOfAProxyThatIsNotConnected_failsWithUpstreamsMessage(TestInfo info) throws IOException {
    Path work = KubeTools.workDir(info);
    Path envoyDump = work.resolve("envoy-config_dump.json");
    Files.writeString(envoyDump, sleep.agent().envoyAdmin("/config_dump"));

    Command.Result result = secureIstioctl(work)
        .run("proxy-status", "nobody-1.default", "--file", envoyDump.toString());

    assertThat(result.ok()).as(result.describe()).isFalse();
    assertThat(result.stderr()).as(result.describe()).contains("unable to find config dump in Istiod responses");
    assertThat(mesh.istiod().isAlive()).isTrue();
    assertThat(mesh.istiod().log()).contains("config dump could not find connection for proxyID \"nobody-1.default\"");
  }

  @Test
  void xdsVersion_reportsIstiodsVersion_andTheSidecarsVersion(TestInfo info) {
    // `istioctl version` asks the cluster's istiod Pods; `istioctl x version` asks istiod over xDS.
    String istiodVersion = mesh.istiod().get(mesh.istiod().monitoringUri("/version")).body().strip();

    Command.Result result = secureIstioctl(KubeTools.workDir(info)).run("x", "version").orFail();

    assertThat(result.stdout()).as(result.describe())
        .contains("client version: " + agentVersion())
        .contains("control plane version: " + istiodVersion)
        .contains("data plane version: " + agentVersion() + " (1 proxies)");
  }

  @Test
  void internalDebug_readsIstiodsDebugPagesOverXds(TestInfo info) {
    Istioctl istioctl = secureIstioctl(KubeTools.workDir(info));

    Command.Result syncz = istioctl.run("x", "internal-debug", "syncz").orFail();
    assertThat(syncz.stdout()).as(syncz.describe()).contains("\"proxy\": \"" + SLEEP.proxyId() + "\"");

    Command.Result dump = istioctl.run("x", "internal-debug", "config_dump?proxyID=" + SLEEP.proxyId()).orFail();
    assertThat(dump.stdout()).as(dump.describe()).contains(HTTPBIN_CLUSTER);

    Command.Result list = istioctl.run("x", "internal-debug", "--list").orFail();
    assertThat(list.stdout()).as(list.describe()).contains("\"syncz\"").contains("\"config_dump\"");
  }

  @Test
  void aCallerOfAnotherNamespace_seesOnlyThatNamespacesProxies(TestInfo info) {
    Istioctl istioctl = secureIstioctl(KubeTools.workDir(info));
    // With -i <ns> istioctl presents a token of <ns>/default and says it is a proxy of <ns>.
    mesh.serviceAccount("default", "default");
    mesh.serviceAccount("backend", "default");

    Command.Result own = istioctl.run("proxy-status", "-i", "default").orFail();
    assertThat(Istioctl.table(own.stdout())).as(own.describe()).extracting(r -> r.get("NAME"))
        .containsExactly(SLEEP.proxyId());
    Command.Result other = istioctl.run("proxy-status", "-i", "backend").orFail();
    assertThat(Istioctl.table(other.stdout())).as(other.describe()).isEmpty();

    Command.Result page = istioctl.run("x", "internal-debug", "syncz", "-i", "default");
    assertThat(page.ok()).as(page.describe()).isFalse();
    assertThat(page.stderr()).as(page.describe()).contains("PermissionDenied")
        .contains("the debug info is not available for current identity");
  }

  @Test
  void plaintextPort_refusesDebugToAnUnauthenticatedCaller_asUpstreamsDefault(TestInfo info) {
    Istioctl plaintext = Istioctl.plaintext(cluster, mesh.istiod().grpcPort(), KubeTools.workDir(info));

    Command.Result result = plaintext.run("proxy-status");

    assertThat(result.ok()).as(result.describe()).isFalse();
    assertThat(result.stderr()).as(result.describe()).contains("Unauthenticated").contains("authentication required");
    assertThat(mesh.istiod().log()).contains("is not authorized to receive debug info");
    assertThat(sleep.agent().ready()).as("the sidecar is unaffected").isTrue();
  }

  private static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What the agent reports as its version (ISTIO_VERSION), the same build as istioctl. */
  private static String agentVersion() {
    Command.Result r = Command.run(List.of(PilotAgentTools.pilotAgent().toString(), "version", "--short"), Map.of(),
        null, Istioctl.COMMAND_BOUND).orFail();
    String out = r.stdout().strip(); // "client version: 1.31-dev"
    return out.substring(out.lastIndexOf(' ') + 1);
  }
}
