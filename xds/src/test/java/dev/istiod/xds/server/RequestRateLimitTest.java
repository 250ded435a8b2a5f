package dev.istiod.xds.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.testing.AdsTestClient;
import dev.istiod.xds.testing.FakeDiscoveryServer;
import io.grpc.Status;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** PILOT_MAX_REQUESTS_PER_SECOND: new streams are let in at the rate; one that would wait over a second is refused. */
class RequestRateLimitTest {

  @Test
  void streamsBeyondTheRate_areRefusedWithResourceExhausted_andAdmittedOnesAreServed() {
    StubGenerator cds = StubGenerator.clusters("a");
    XdsServerOptions options = FakeDiscoveryServer.TEST_OPTIONS.withRequestRateLimit(0.2); // one per 5 s
    try (FakeDiscoveryServer fake = FakeDiscoveryServer.start(FakeDiscoveryServer.emptyEnvironment(), List.of(cds),
        options, true)) {
      AdsTestClient.Sotw first = fake.client().sotw(AdsTestClient.sidecarNode("10.0.0.2", "a-1", "prod"));
      first.request(TypeUrls.CLUSTER);
      assertThat(first.expect(TypeUrls.CLUSTER).getResourcesCount()).isEqualTo(1);

      AdsTestClient.Sotw second = fake.client().sotw(AdsTestClient.sidecarNode("10.0.0.3", "a-2", "prod"));
      second.request(TypeUrls.CLUSTER);
      Status refused = second.expectClosed();
      assertThat(refused.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(refused.getDescription()).startsWith("request rate limit exceeded");
    }
  }

  @Test
  void admit_spacesStreamsByTheRate_andARefusalTakesNoToken() {
    MutableClock clock = new MutableClock();
    RequestRateLimiter limiter = new RequestRateLimiter(4, clock); // one per 250 ms
    assertThat(limiter.admit()).contains(Duration.ZERO);
    assertThat(limiter.admit()).contains(Duration.ofMillis(250));
    assertThat(limiter.admit()).contains(Duration.ofMillis(500));
    assertThat(limiter.admit()).contains(Duration.ofMillis(750));
    assertThat(limiter.admit()).contains(Duration.ofMillis(1000));
    assertThat(limiter.admit()).as("would wait 1.25 s").isEmpty();
    clock.advance(Duration.ofMillis(250));
    assertThat(limiter.admit()).as("the refusal took no token").contains(Duration.ofMillis(1000));
    clock.advance(Duration.ofSeconds(10));
    assertThat(limiter.admit()).contains(Duration.ZERO);
  }

  @Test
  void nonPositiveRate_isRefusedWithTheKnobsName() {
    assertThatThrownBy(() -> new RequestRateLimiter(0, Clock.systemUTC()))
        .hasMessageContaining("PILOT_MAX_REQUESTS_PER_SECOND");
  }

  @Test
  void defaultRate_scalesWithCores_asUpstream() {
    assertThat(RequestRateLimiter.defaultRate(2)).isEqualTo(25.0);
    assertThat(RequestRateLimiter.defaultRate(64)).isEqualTo(100.0);
    assertThat(FakeDiscoveryServer.TEST_OPTIONS.withRequestRateLimit(0).requestRateLimit()).isPositive();
  }

  private static final class MutableClock extends Clock {
    private Instant now = Instant.parse("2026-12-07T00:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
