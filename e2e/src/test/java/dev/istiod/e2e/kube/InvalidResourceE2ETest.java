package dev.istiod.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Bad input that bypasses validation — no webhook is installed, so the API server stores any VirtualService
 * its CRD schema accepts — is reported by istiod and skipped: a new invalid object never reaches proxies, an
 * invalid edit leaves the last valid version in force, and other configs keep flowing.
 */
@Tag("e2e")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class InvalidResourceE2ETest {
  @RegisterExtension
  static final KubeCluster cluster = KubeCluster.perClass();

  @Test
  void invalidVirtualService_isReportedAndSkipped_whileOtherConfigsFlow(TestInfo info) {
    try (KubeMesh mesh = KubeMesh.start(cluster, KubeTools.workDir(info), "invalid-test", 1)) {
      String ns = mesh.namespace();
      KubeRoutingE2ETest.reviewsV1AndV2(mesh);
      mesh.cluster().apply(KubeYaml.virtualServiceTo("reviews", ns, mesh.host("reviews"), "v1"));
      mesh.awaitTraffic("everyone -> v1", m -> assertThat(m.servedBy("reviews", 10)).containsOnly("reviews-v1"));

      // A new invalid object, and an invalid edit of the VirtualService in force: both stored by the API server.
      mesh.cluster().apply(KubeYaml.virtualServiceWithBadRegex("broken", ns, mesh.host("nothing")));
      mesh.cluster().apply(KubeYaml.virtualServiceWithBadRegex("reviews", ns, mesh.host("reviews")));
      assertThat(mesh.cluster().kubectl("get", "virtualservice", "reviews", "-n", ns,
          "-o", "jsonpath={.spec.http[0].match[0].uri.regex}").stdout()).isEqualTo("([unclosed");

      await("istiod reports both invalid VirtualServices").atMost(KubeMesh.CONVERGENCE_BOUND)
          .untilAsserted(() -> assertThat(mesh.istiod().log()).contains("VirtualService " + ns + "/broken", "VirtualService " + ns + "/reviews"));
      assertThat(mesh.istiod().isAlive()).isTrue();
      assertThat(mesh.istiod().get(mesh.istiod().httpUri("/debug/config_errors")).body())
          .as("/debug/config_errors").contains("VirtualService " + ns + "/broken", "VirtualService " + ns + "/reviews");
      String configz = mesh.istiod().get(mesh.istiod().httpUri("/debug/configz")).body();
      assertThat(configz).as("istiod's configs (/debug/configz)").doesNotContain("\"broken\"")
          .doesNotContain("([unclosed");

      // Other configs keep flowing: the DestinationRule's subset v1 now means version v2. The last valid
      // VirtualService (everyone -> subset v1) is still the one in force.
      mesh.cluster().apply(KubeYaml.destinationRule("reviews", ns, mesh.host("reviews"),
          Map.of("v1", "v2", "v2", "v2")));
      mesh.awaitTraffic("subset v1 follows the DestinationRule edit", m ->
          assertThat(m.servedBy("reviews", 10)).containsOnly("reviews-v2"));
      mesh.assertNoRejects();
    }
  }
}
