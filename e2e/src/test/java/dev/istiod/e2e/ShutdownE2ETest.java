package dev.istiod.e2e;

import static dev.istiod.e2e.Mesh.JASON;
import static dev.istiod.e2e.Mesh.PLAIN;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * SIGTERM stops istiod cleanly while a proxy is connected, and the data plane does not depend on it: Envoy keeps
 * routing with the last config it was given.
 */
@Tag("e2e")
@ExtendWith(PrintLogsOnFailure.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ShutdownE2ETest {

  @ParameterizedTest(name = "{0}")
  @EnumSource(AdsMode.class)
  void sigterm_stopsIstiodCleanly_andEnvoyKeepsRouting(AdsMode mode, TestInfo info) {
    try (Mesh mesh = Mesh.start(Workspace.forTest(info), mode, ReviewsYaml.virtualServiceJasonToV2())) {
      mesh.awaitTraffic("jason -> v2, others -> v1", m -> {
        assertThat(m.send(PLAIN).servedBy()).isEqualTo("reviews-v1");
        assertThat(m.send(JASON).servedBy()).isEqualTo("reviews-v2");
      });

      int exitCode = mesh.istiod().stop();

      assertThat(exitCode).as("istiod exit code after SIGTERM").isIn(Mesh.CLEAN_EXIT_CODES);
      assertThat(mesh.istiod().isAlive()).isFalse();
      assertThat(mesh.servedBy(5, PLAIN)).containsOnly("reviews-v1");
      assertThat(mesh.servedBy(5, JASON)).containsOnly("reviews-v2");
    }
  }
}
