package dev.istiod.main;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FeaturesTest {
  @Test
  void fromEnvironment_empty_usesUpstreamDefaults() {
    Features f = Features.fromEnvironment(Map.of());
    assertThat(f.debounceAfter()).isEqualTo(Duration.ofMillis(100));
    assertThat(f.debounceMax()).isEqualTo(Duration.ofSeconds(10));
    assertThat(f.enableEdsDebounce()).isTrue();
    assertThat(f.pushThrottle()).isEqualTo(Math.min(15 + 5 * Runtime.getRuntime().availableProcessors(), 100));
    assertThat(f.podNamespace()).isEqualTo("istio-system");
    assertThat(f.maxRecvMsgSize()).isEqualTo(4 * 1024 * 1024);
    assertThat(f.leaderElection().enabled()).isTrue();
    assertThat(f.leaderElection().ttl()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void fromEnvironment_leaderElection_canBeTurnedOffOrShortened() {
    Features f = Features.fromEnvironment(Map.of("ENABLE_LEADER_ELECTION", "false", "ISTIOD_LEADER_ELECTION_TTL", "4s"));
    assertThat(f.leaderElection().enabled()).isFalse();
    assertThat(f.leaderElection().ttl()).isEqualTo(Duration.ofSeconds(4));
  }

  @Test
  void fromEnvironment_goDurationsAndBooleans_areParsed() {
    Features f = Features.fromEnvironment(Map.of(
        "PILOT_DEBOUNCE_AFTER", "250ms", "PILOT_DEBOUNCE_MAX", "2s",
        "PILOT_ENABLE_EDS_DEBOUNCE", "false", "PILOT_PUSH_THROTTLE", "7"));
    assertThat(f.debounceAfter()).isEqualTo(Duration.ofMillis(250));
    assertThat(f.debounceMax()).isEqualTo(Duration.ofSeconds(2));
    assertThat(f.enableEdsDebounce()).isFalse();
    assertThat(f.pushThrottle()).isEqualTo(7);
  }

  @Test
  void debugEndpointAuth_isEnforcedByDefault_andTakesACommaSeparatedNamespaceList() {
    Features defaults = Features.fromEnvironment(Map.of());
    assertThat(defaults.enableDebugEndpointAuth()).isTrue();
    assertThat(defaults.debugEndpointAuthAllowedNamespaces()).isEmpty();

    Features f = Features.fromEnvironment(Map.of("ENABLE_DEBUG_ENDPOINT_AUTH", "false",
        "DEBUG_ENDPOINT_AUTH_ALLOWED_NAMESPACES", "monitoring, kiali,,"));
    assertThat(f.enableDebugEndpointAuth()).isFalse();
    assertThat(f.debugEndpointAuthAllowedNamespaces()).containsExactlyInAnyOrder("monitoring", "kiali");
  }

  @Test
  void fromEnvironment_badValue_namesTheVariable() {
    assertThatThrownBy(() -> Features.fromEnvironment(Map.of("PILOT_DEBOUNCE_AFTER", "100")))
        .hasMessageContaining("PILOT_DEBOUNCE_AFTER").hasMessageContaining("\"100\"");
    assertThatThrownBy(() -> Features.fromEnvironment(Map.of("PILOT_ENABLE_EDS_DEBOUNCE", "yes")))
        .hasMessageContaining("PILOT_ENABLE_EDS_DEBOUNCE");
    assertThatThrownBy(() -> Features.fromEnvironment(Map.of("PILOT_PUSH_THROTTLE", "many")))
        .hasMessageContaining("PILOT_PUSH_THROTTLE");
  }

  @Test
  void addresses_goStyle_parse() {
    assertThat(Addresses.parse("--grpcAddr", ":15010")).isEqualTo(new InetSocketAddress(15010));
    assertThat(Addresses.parse("--grpcAddr", "127.0.0.1:0").getAddress().isLoopbackAddress()).isTrue();
    assertThat(Addresses.parse("--grpcAddr", "")).isNull();
    assertThatThrownBy(() -> Addresses.parse("--httpAddr", "localhost")).hasMessageContaining("--httpAddr");
    assertThatThrownBy(() -> Addresses.parse("--httpAddr", ":99999")).hasMessageContaining("invalid port");
  }
}
