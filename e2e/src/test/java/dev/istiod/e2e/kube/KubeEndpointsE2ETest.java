package dev.istiod.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A Service's endpoints follow the cluster — EndpointSlices the test writes, and Pods whose status the test
 * reports while kube-controller-manager maintains the slices — and each change reaches Envoy as an incremental
 * EDS push: istiod's push counters show EDS pushes and no CDS, LDS or RDS push (no full push) for it.
 */
@Tag("e2e")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class KubeEndpointsE2ETest {
  @RegisterExtension
  static final KubeCluster cluster = KubeCluster.perClass();

  private static final List<String> FULL_PUSH_TYPES = List.of("cds", "lds", "rds");

  @Test
  void endpointSlicesWrittenByTheTest_scaleUpAndDown_withIncrementalEdsOnly(TestInfo info) {
    try (KubeMesh mesh = KubeMesh.start(cluster, KubeTools.workDir(info), "slices-test", 1)) {
      String one = mesh.host().address();
      String two = mesh.host().extraAddresses().getFirst();
      mesh.serve("ratings-1", one);
      mesh.serve("ratings-2", two);
      mesh.cluster().apply(KubeYaml.service("ratings", mesh.namespace(), null, mesh.port()) + "---\n"
          + KubeYaml.endpointSlice("ratings-a", mesh.namespace(), "ratings", mesh.port(), List.of(one)));
      mesh.awaitTraffic("one endpoint", m -> assertThat(m.servedBy("ratings", 5)).containsOnly("ratings-1"));
      Map<String, Double> before = settledPushes(mesh);

      mesh.cluster().apply(KubeYaml.endpointSlice("ratings-a", mesh.namespace(), "ratings", mesh.port(),
          List.of(one, two)));
      mesh.awaitTraffic("scaled up to two endpoints", m ->
          assertThat(m.servedBy("ratings", 20)).contains("ratings-1", "ratings-2"));
      mesh.cluster().apply(KubeYaml.endpointSlice("ratings-a", mesh.namespace(), "ratings", mesh.port(),
          List.of(two)));
      mesh.awaitTraffic("scaled down to the second endpoint", m ->
          assertThat(m.servedBy("ratings", 10)).containsOnly("ratings-2"));

      assertIncrementalOnly(mesh, before);
      mesh.assertNoRejects();
    }
  }

  @Test
  void podsScaled_controllerManagedSlices_withIncrementalEdsOnly(TestInfo info) {
    try (KubeMesh mesh = KubeMesh.start(cluster, KubeTools.workDir(info), "pods-test", 1)) {
      String one = mesh.host().address();
      String two = mesh.host().extraAddresses().getFirst();
      mesh.serve("details-1", one);
      mesh.serve("details-2", two);
      mesh.cluster().apply(KubeYaml.service("details", mesh.namespace(), "details", mesh.port()));
      mesh.runPod("details-1", Map.of("app", "details"), one);
      mesh.awaitTraffic("the first Pod", m -> assertThat(m.servedBy("details", 5)).containsOnly("details-1"));
      Map<String, Double> before = settledPushes(mesh);

      mesh.runPod("details-2", Map.of("app", "details"), two);
      mesh.awaitTraffic("scaled up to two Pods", m ->
          assertThat(m.servedBy("details", 20)).contains("details-1", "details-2"));
      mesh.cluster().kubectl("delete", "pod", "details-1", "-n", mesh.namespace(), "--grace-period=0", "--force");
      mesh.awaitTraffic("scaled down to the second Pod", m ->
          assertThat(m.servedBy("details", 10)).containsOnly("details-2"));

      assertIncrementalOnly(mesh, before);
      mesh.assertNoRejects();
    }
  }

  /**
   * The push counters once istiod has finished the pushes of the set-up: equal on two reads a second apart.
   * (A debounced push still under way would otherwise count against the change under test.)
   */
  private static Map<String, Double> settledPushes(KubeMesh mesh) {
    AtomicReference<Map<String, Double>> last = new AtomicReference<>(pushCounts(mesh));
    await("istiod's push counters settle").atMost(Duration.ofSeconds(30)).pollDelay(Duration.ofSeconds(1))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> {
          Map<String, Double> now = pushCounts(mesh);
          return now.equals(last.getAndSet(now));
        });
    return last.get();
  }

  private static Map<String, Double> pushCounts(KubeMesh mesh) {
    return Map.of("cds", mesh.pushes("cds"), "lds", mesh.pushes("lds"), "rds", mesh.pushes("rds"),
        "eds", mesh.pushes("eds"));
  }

  private static void assertIncrementalOnly(KubeMesh mesh, Map<String, Double> before) {
    Map<String, Double> after = pushCounts(mesh);
    for (String type : FULL_PUSH_TYPES) {
      assertThat(after.get(type)).as("pilot_xds_pushes{type=%s} across endpoint changes (a full push sends it)", type)
          .isEqualTo(before.get(type));
    }
    assertThat(after.get("eds")).as("pilot_xds_pushes{type=eds}").isGreaterThan(before.get("eds"));
  }
}
