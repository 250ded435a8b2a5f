package dev.istiod.xds.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Envoy's domain search order: exact, suffix wildcard, prefix wildcard, then "*". */
class VirtualHostSelectorTest {
  private static final RouteConfiguration RC = RouteConfiguration.newBuilder().setName("rc")
      .addVirtualHosts(vh("catch-all", "*"))
      .addVirtualHosts(vh("prefix-short", "api.*"))
      .addVirtualHosts(vh("prefix-long", "api.example.*"))
      .addVirtualHosts(vh("suffix-short", "*.com"))
      .addVirtualHosts(vh("suffix-long", "*.example.com"))
      .addVirtualHosts(vh("exact", "api.example.com", "Mixed.Example.Org"))
      .build();

  @Test
  void exactDomain_beatsEveryWildcard() {
    assertThat(select(RC, "api.example.com")).isEqualTo("exact");
  }

  @Test
  void hostIsMatchedCaseInsensitively() {
    assertThat(select(RC, "API.Example.COM")).isEqualTo("exact");
    assertThat(select(RC, "mixed.example.org")).isEqualTo("exact");
  }

  @Test
  void suffixWildcard_longestWins_andBeatsPrefixWildcards() {
    assertThat(select(RC, "web.example.com")).isEqualTo("suffix-long");
    assertThat(select(RC, "api.other.com")).as("suffix beats prefix").isEqualTo("suffix-short");
  }

  @Test
  void prefixWildcard_longestWins() {
    assertThat(select(RC, "api.example.io")).isEqualTo("prefix-long");
    assertThat(select(RC, "api.foo")).isEqualTo("prefix-short");
  }

  @Test
  void wildcardStandsForAtLeastOneCharacter() {
    RouteConfiguration rc = RouteConfiguration.newBuilder().addVirtualHosts(vh("suffix", "*.example.com"))
        .addVirtualHosts(vh("default", "*")).build();
    assertThat(select(rc, ".example.com")).isEqualTo("default");
    assertThat(select(rc, "x.example.com")).isEqualTo("suffix");
  }

  @Test
  void catchAll_whenNothingElseMatches_elseNone() {
    assertThat(select(RC, "unknown.org")).isEqualTo("catch-all");
    RouteConfiguration noDefault = RouteConfiguration.newBuilder().addVirtualHosts(vh("only", "a.b")).build();
    assertThat(select(noDefault, "c.d")).isEqualTo("(none)");
  }

  @Test
  void port_isPartOfTheHost_unlessIgnorePortInHostMatching() {
    RouteConfiguration rc = RouteConfiguration.newBuilder().addVirtualHosts(vh("plain", "reviews"))
        .addVirtualHosts(vh("with-port", "reviews:9080")).build();
    assertThat(select(rc, "reviews:9080")).isEqualTo("with-port");
    assertThat(select(rc, "reviews:1234")).isEqualTo("(none)");
    RouteConfiguration ignoring = rc.toBuilder().setIgnorePortInHostMatching(true).build();
    assertThat(select(ignoring, "reviews:1234")).isEqualTo("plain");
  }

  private static String select(RouteConfiguration rc, String host) {
    return VirtualHostSelector.select(rc, host).map(VirtualHost::getName).orElse("(none)");
  }

  private static VirtualHost vh(String name, String... domains) {
    return VirtualHost.newBuilder().setName(name).addAllDomains(List.of(domains)).build();
  }
}
