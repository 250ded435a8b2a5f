package dev.istiod.xds.gen;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.model.TriggerReason;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import java.nio.file.Files;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * LDS never sends what Envoy would reject: a listener colliding with another is left out and
 * reported in the generation result, and services colliding on one listener are reported as
 * conflicts (upstream's pilot_conflict_* push status) while the first keeps the listener.
 */
class ListenerSafetyTest {
  @Test
  void duplicateAddress_isLeftOutAndReported() throws Exception {
    GenerationResult r = lds("sidecar-duplicate-address");

    assertThat(r.resources()).extracting(x -> x.name()).containsExactlyInAnyOrder("0.0.0.0_8080", "10.0.0.32_7070");
    assertThat(r.detail()).contains("rejected: 0.0.0.0_8080: a listener with this name is already sent");
  }

  @Test
  void servicesCollidingOnOneListener_areReportedAsConflicts() throws Exception {
    Scenario s = scenario("tcp-listener-conflict");
    PushContext push = s.push();

    GenerationResult r = lds(s, push);

    assertThat(r.detail()).contains("2 listener conflicts").doesNotContain("rejected");
    // Upstream's push-status gauge counts the TCP-over-TCP one (the Mongo one is only logged upstream).
    assertThat(push.status().count("pilot_conflict_outbound_listener_tcp_over_current_tcp")).isEqualTo(1);
    assertThat(push.status().snapshot().get("pilot_conflict_outbound_listener_tcp_over_current_tcp"))
        .containsOnlyKeys("0.0.0.0_9999")
        .hasEntrySatisfying("0.0.0.0_9999", e -> assertThat(e.message())
            .isEqualTo("Listener=0.0.0.0_9999 Accepted=TCP Rejected=TCP (second.example.com)"));
  }

  private static Scenario scenario(String name) throws Exception {
    return Scenario.parse(Files.readString(GoldenTest.ROOT.resolve(name).resolve("input.yaml")));
  }

  private static GenerationResult lds(String scenario) throws Exception {
    Scenario s = scenario(scenario);
    return lds(s, s.push());
  }

  private static GenerationResult lds(Scenario s, PushContext push) {
    return Generators.envoy().get(TypeUrls.LISTENER).generate(s.proxy, push,
        new WatchedResource(TypeUrls.LISTENER, true, Set.of()), PushRequest.forced(TriggerReason.PROXY_REQUEST));
  }
}
