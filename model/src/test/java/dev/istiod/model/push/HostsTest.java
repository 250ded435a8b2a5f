package dev.istiod.model.push;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class HostsTest {
  @Test
  void resolveShortName_qualifiesNamesWithoutDotsOnly() {
    assertThat(Hosts.resolveShortName("reviews", "default", "cluster.local")).isEqualTo("reviews.default.svc.cluster.local");
    assertThat(Hosts.resolveShortName("reviews.other", "default", "cluster.local")).isEqualTo("reviews.other");
    assertThat(Hosts.resolveShortName("*", "default", "cluster.local")).isEqualTo("*");
    assertThat(Hosts.resolveShortName("10.0.0.1", "default", "cluster.local")).isEqualTo("10.0.0.1");
    assertThat(Hosts.resolveShortName("API.Example.com", "default", "cluster.local")).isEqualTo("api.example.com");
  }

  @Test
  void matchesAndSubsetOf_followIstioWildcardRules() {
    assertThat(Hosts.matches("*.example.com", "a.example.com")).isTrue();
    assertThat(Hosts.matches("a.example.com", "*.example.com")).isTrue();
    assertThat(Hosts.matches("*.com", "*.example.com")).isTrue();
    assertThat(Hosts.subsetOf("a.example.com", "*.example.com")).isTrue();
    assertThat(Hosts.subsetOf("*.example.com", "a.example.com")).isFalse();
    assertThat(Hosts.subsetOf("*.a.example.com", "*.example.com")).isTrue();
    assertThat(Hosts.subsetOf("a.example.org", "*.example.com")).isFalse();
  }

  @Test
  void mostSpecific_prefersExactThenLongestWildcard() {
    Map<String, String> exact = Map.of("a.b.example.com", "exact");
    Map<String, String> wild = Map.of("*.example.com", "short", "*.b.example.com", "long", "*", "all");
    assertThat(Hosts.mostSpecific("a.b.example.com", exact, wild)).contains("exact");
    assertThat(Hosts.mostSpecific("c.b.example.com", exact, wild)).contains("long");
    assertThat(Hosts.mostSpecific("c.example.com", exact, wild)).contains("short");
    assertThat(Hosts.mostSpecific("example.org", exact, wild)).contains("all");
  }

  @Test
  void resolveGatewayName_qualifiesWithNamespace() {
    assertThat(Hosts.resolveGatewayName("mesh", "default")).isEqualTo("mesh");
    assertThat(Hosts.resolveGatewayName("gw", "default")).isEqualTo("default/gw");
    assertThat(Hosts.resolveGatewayName("./gw", "default")).isEqualTo("default/gw");
    assertThat(Hosts.resolveGatewayName("istio-system/gw", "default")).isEqualTo("istio-system/gw");
    assertThat(Hosts.resolveGatewayName("gw.istio-system.svc.cluster.local", "default")).isEqualTo("istio-system/gw");
  }
}
