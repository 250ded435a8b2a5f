package dev.istiod.e2e;

import static dev.istiod.e2e.Mesh.JASON;
import static dev.istiod.e2e.Mesh.PLAIN;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A real upstream Envoy bootstraps against istiod over SotW and delta ADS, and its traffic goes where the
 * VirtualService says: by header match to a subset, by weight, and again after the file is edited — with Envoy
 * accepting every update and istiod recording no NACK.
 */
@Tag("e2e")
@ExtendWith(PrintLogsOnFailure.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class RoutingE2ETest {

  @ParameterizedTest(name = "{0}")
  @EnumSource(AdsMode.class)
  void headerMatch_sendsJasonToV2_andEveryoneElseToV1(AdsMode mode, TestInfo info) {
    try (Mesh mesh = Mesh.start(Workspace.forTest(info), mode, ReviewsYaml.virtualServiceJasonToV2())) {
      mesh.awaitTraffic("jason -> v2, others -> v1", m -> {
        assertThat(m.send(PLAIN).servedBy()).isEqualTo("reviews-v1");
        assertThat(m.send(JASON).servedBy()).isEqualTo("reviews-v2");
      });
      mesh.v1().clearRequests();
      mesh.v2().clearRequests();

      assertThat(mesh.servedBy(20, PLAIN)).containsOnly("reviews-v1");
      assertThat(mesh.servedBy(20, JASON)).containsOnly("reviews-v2");
      assertThat(mesh.v1().requests()).hasSize(20)
          .allSatisfy(request -> assertThat(request.headers()).doesNotContainKey("end-user"));
      assertThat(mesh.v2().requests()).hasSize(20)
          .allSatisfy(request -> assertThat(request.headers()).containsEntry("end-user", "jason"));
      mesh.assertNoRejects();
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(AdsMode.class)
  void editingTheVirtualServiceFile_movesTraffic_withoutRestart(AdsMode mode, TestInfo info) {
    try (Mesh mesh = Mesh.start(Workspace.forTest(info), mode, ReviewsYaml.virtualServiceJasonToV2())) {
      mesh.awaitTraffic("others -> v1 before the edit", m ->
          assertThat(m.send(PLAIN).servedBy()).isEqualTo("reviews-v1"));
      long istiodPid = mesh.istiod().pid();
      long envoyPid = mesh.envoy().pid();

      mesh.config().write(Mesh.VIRTUAL_SERVICE_FILE, ReviewsYaml.virtualServiceAllTo("v2"));
      mesh.awaitTraffic("everyone -> v2 after the edit", m -> {
        assertThat(m.send(PLAIN).servedBy()).isEqualTo("reviews-v2");
        assertThat(m.send(JASON).servedBy()).isEqualTo("reviews-v2");
      });
      assertThat(mesh.servedBy(20, PLAIN)).containsOnly("reviews-v2");

      mesh.config().write(Mesh.VIRTUAL_SERVICE_FILE, ReviewsYaml.virtualServiceAllTo("v1"));
      mesh.awaitTraffic("everyone -> v1 after the second edit", m -> {
        assertThat(m.send(PLAIN).servedBy()).isEqualTo("reviews-v1");
        assertThat(m.send(JASON).servedBy()).isEqualTo("reviews-v1");
      });
      assertThat(mesh.servedBy(20, JASON)).containsOnly("reviews-v1");

      assertThat(mesh.istiod().isAlive()).isTrue();
      assertThat(mesh.istiod().pid()).as("istiod was not restarted").isEqualTo(istiodPid);
      assertThat(mesh.envoy().isAlive()).isTrue();
      assertThat(mesh.envoy().pid()).as("Envoy was not restarted").isEqualTo(envoyPid);
      mesh.assertNoRejects();
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(AdsMode.class)
  void weightedSplit_fiftyFifty_landsOnBothVersions(AdsMode mode, TestInfo info) {
    try (Mesh mesh = Mesh.start(Workspace.forTest(info), mode, ReviewsYaml.virtualServiceWeighted("reviews", 50, 50))) {
      mesh.awaitTraffic("reviews answers", m -> assertThat(m.send(PLAIN).status()).isEqualTo(200));

      List<String> served = mesh.servedBy(100, PLAIN);

      assertThat(served).containsOnly("reviews-v1", "reviews-v2");
      // Loose bounds: for a fair split of 100 requests, falling outside [20, 80] has odds below 1e-8.
      assertThat(Collections.frequency(served, "reviews-v1")).as("requests on v1 of 100").isBetween(20, 80);
      assertThat(Collections.frequency(served, "reviews-v2")).as("requests on v2 of 100").isBetween(20, 80);
      mesh.assertNoRejects();
    }
  }
}
