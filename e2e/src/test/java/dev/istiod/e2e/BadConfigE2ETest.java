package dev.istiod.e2e;

import static dev.istiod.e2e.Mesh.JASON;
import static dev.istiod.e2e.Mesh.PLAIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Bad files in the config directory — a malformed YAML document, an unknown kind, an invalid VirtualService both
 * as a new object and as an edit of the live one — are reported with the file and object named; istiod keeps
 * running, Envoy keeps the last good routing, other config keeps flowing, and a valid edit afterwards applies.
 */
@Tag("e2e")
@ExtendWith(PrintLogsOnFailure.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class BadConfigE2ETest {
  private static final Duration LOG_BOUND = Duration.ofSeconds(60);

  @ParameterizedTest(name = "{0}")
  @EnumSource(AdsMode.class)
  void badFiles_areNamedInTheLog_andTheLastGoodConfigKeepsServing(AdsMode mode, TestInfo info) {
    try (Mesh mesh = Mesh.start(Workspace.forTest(info), mode, ReviewsYaml.virtualServiceJasonToV2())) {
      mesh.awaitTraffic("jason -> v2, others -> v1", m -> {
        assertThat(m.send(PLAIN).servedBy()).isEqualTo("reviews-v1");
        assertThat(m.send(JASON).servedBy()).isEqualTo("reviews-v2");
      });

      mesh.config().replace("broken.yaml", ReviewsYaml.malformedYaml());
      mesh.config().replace("unknown-kind.yaml", ReviewsYaml.unknownKind());
      mesh.config().replace("bad-regex.yaml", ReviewsYaml.virtualServiceBadRegex("reviews-regex"));
      // An invalid edit of the live VirtualService: a split whose weights are all zero. (Weights are relative,
      // as upstream since 1.15, so 45/45 would be valid; an all-zero split sends traffic nowhere and is refused.)
      mesh.config().replace(Mesh.VIRTUAL_SERVICE_FILE, ReviewsYaml.virtualServiceWeighted("reviews", 0, 0));

      await("istiod logs an error naming each bad file and object")
          .atMost(LOG_BOUND)
          .pollInterval(Duration.ofMillis(250))
          .untilAsserted(() -> {
            String log = mesh.istiod().log();
            assertHasLineWith(log, "broken.yaml");
            assertHasLineWith(log, "unknown-kind.yaml", "frob-1");
            assertHasLineWith(log, "bad-regex.yaml", "reviews-regex");
            assertHasLineWith(log, Mesh.VIRTUAL_SERVICE_FILE, "reviews");
          });
      assertThat(mesh.istiod().isAlive()).as("istiod survives bad input").isTrue();
      assertThat(mesh.istiod().ready()).as("istiod still ready").isTrue();

      // Other config keeps flowing: a new, valid service written after the bad files reaches Envoy. Once it has,
      // whatever istiod made of the bad files has reached Envoy too.
      mesh.config().replace("ratings.yaml", ReviewsYaml.ratingsServiceEntry(mesh.port()));
      mesh.awaitTraffic("ratings is routable", m ->
          assertThat(m.sendTo(ReviewsYaml.RATINGS_HOST, PLAIN).servedBy()).isEqualTo("ratings"));

      // Envoy keeps the last good routing for reviews.
      assertThat(mesh.servedBy(10, PLAIN)).containsOnly("reviews-v1");
      assertThat(mesh.servedBy(10, JASON)).containsOnly("reviews-v2");

      // A valid change made afterwards still applies.
      mesh.config().replace(Mesh.VIRTUAL_SERVICE_FILE, ReviewsYaml.virtualServiceAllTo("v2"));
      mesh.awaitTraffic("everyone -> v2 after the valid edit", m -> {
        assertThat(m.send(PLAIN).servedBy()).isEqualTo("reviews-v2");
        assertThat(m.send(JASON).servedBy()).isEqualTo("reviews-v2");
      });
      mesh.assertNoRejects();
    }
  }

  private static void assertHasLineWith(String log, String... fragments) {
    assertThat(log.lines())
        .as("a log line containing all of %s", Arrays.toString(fragments))
        .anyMatch(line -> Arrays.stream(fragments).allMatch(line::contains));
  }
}
