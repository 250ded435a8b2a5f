package dev.istiod.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Proxy association: a sidecar whose node says only "I am at this Pod IP in this namespace" is matched to its
 * Pod in the cluster. It gets inbound listeners for exactly the Services that select that Pod, and the Pod's
 * labels (not its node metadata, which has none) decide which Sidecar resource applies to it.
 */
@Tag("e2e")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PodProxyE2ETest {
  @RegisterExtension
  static final KubeCluster cluster = KubeCluster.perClass();

  private static final int METRICS_PORT = 9090;
  private static final int OTHER_PORT = 9091;

  @Test
  void podMatchedSidecar_getsInboundListenersForItsServices_andItsPodsSidecarResource(TestInfo info) {
    Path workDir = KubeTools.workDir(info);
    try (KubeMesh mesh = KubeMesh.start(cluster, workDir, "proxy-test", 0)) {
      String ns = mesh.namespace();
      TestHost host = mesh.host();
      mesh.cluster().apply(KubeYaml.service("ratings", ns, "ratings", mesh.port()) + "---\n"
          + KubeYaml.service("ratings-metrics", ns, "ratings", METRICS_PORT) + "---\n"
          + KubeYaml.service("other", ns, "other", OTHER_PORT) + "---\n"
          + labelSelectedSidecar(ns));
      mesh.runPod("ratings-v1", Map.of("app", "ratings", "version", "v1"), host.address());

      try (TcpRelay xds = TcpRelay.start(host.machineAddress(), mesh.istiod().grpcPort());
          PodSidecar sidecar = PodSidecar.start(host, "ratings-v1", ns, host.address(), xds, workDir)) {
        await("inbound chains for the Pod's services").atMost(KubeMesh.CONVERGENCE_BOUND)
            .pollInterval(Duration.ofMillis(500))
            .untilAsserted(() -> {
              List<JsonNode> listeners = sidecar.activeListeners();
              JsonNode inbound = byName(listeners, "virtualInbound").orElseThrow(() ->
                  new AssertionError("no virtualInbound among " + names(listeners)));
              List<Integer> ports = inbound.path("filter_chains").findValues("destination_port").stream()
                  .map(JsonNode::asInt).toList();
              assertThat(ports).as("inbound filter-chain ports").contains(mesh.port(), METRICS_PORT)
                  .doesNotContain(OTHER_PORT);
              // The ratings Sidecar's egress listener, not the namespace default's (port mesh.port()).
              assertThat(names(listeners)).as("listeners (the Pod's labels select the ratings Sidecar)")
                  .contains("127.0.0.1_" + METRICS_PORT)
                  .doesNotContain("127.0.0.1_" + mesh.port());
            });
        double rebuildsBefore = pushContextBuilds(mesh);

        // Relabelled version=v2, the Pod leaves the ratings Sidecar's selector (still behind the same Services):
        // its proxy alone is pushed again, without a PushContext rebuild, and falls back to the namespace's
        // default Sidecar.
        mesh.cluster().kubectl("label", "pod", "ratings-v1", "-n", ns, "version=v2", "--overwrite");
        await("the namespace default Sidecar after relabelling").atMost(KubeMesh.CONVERGENCE_BOUND)
            .pollInterval(Duration.ofMillis(500))
            .untilAsserted(() -> assertThat(names(sidecar.activeListeners()))
                .as("listeners (the Pod's new labels no longer select the ratings Sidecar)")
                .contains("127.0.0.1_" + mesh.port())
                .doesNotContain("127.0.0.1_" + METRICS_PORT));
        assertThat(pushContextBuilds(mesh)).as("PushContext builds (full pushes) across the relabel")
            .isEqualTo(rebuildsBefore);
        assertThat(sidecar.updatesRejected()).as("update_rejected of the Pod's sidecar (see its log)").isZero();
      }
    }
  }

  /**
   * A Sidecar for workloads labelled app=ratings, version=v1 only: an egress listener on 127.0.0.1 for the metrics port,
   * where the namespace's default Sidecar has one for the main port.
   */
  private static String labelSelectedSidecar(String namespace) {
    return """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata:
          name: ratings
          namespace: %s
        spec:
          workloadSelector:
            labels:
              app: ratings
              version: v1
          egress:
          - port:
              number: %d
              protocol: HTTP
              name: http-egress
            bind: 127.0.0.1
            captureMode: NONE
            hosts:
            - "./*"
        """.formatted(namespace, METRICS_PORT);
  }

  private static double pushContextBuilds(KubeMesh mesh) {
    return Metrics.sample(mesh.istiod().metrics(), "pilot_pushcontext_init_seconds_count", Map.of());
  }

  private static Optional<JsonNode> byName(List<JsonNode> listeners, String name) {
    return listeners.stream().filter(l -> name.equals(l.path("name").asText())).findFirst();
  }

  private static List<String> names(List<JsonNode> listeners) {
    return listeners.stream().map(l -> l.path("name").asText()).toList();
  }
}
