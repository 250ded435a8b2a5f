package dev.istiod.xds.simulation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Envoy's filter chain match order and specificity, one rule per test. */
class FilterChainSelectorTest {

  @Test
  void destinationPort_specificPortBeatsChainWithoutPort() throws Exception {
    Listener l = listener(chain("any", FilterChainMatch.newBuilder()),
        chain("port-80", FilterChainMatch.newBuilder().setDestinationPort(UInt32Value.of(80))));
    assertThat(select(l, conn("10.0.0.1", 80))).isEqualTo("port-80");
    assertThat(select(l, conn("10.0.0.1", 81))).isEqualTo("any");
  }

  @Test
  void destinationPort_neverBacktracksToPortlessChains() throws Exception {
    // A chain for port 80 that then fails on transport protocol: Envoy uses the default chain,
    // not the chain without a port.
    Listener l = listener(chain("any", FilterChainMatch.newBuilder()),
        chain("tls-80", FilterChainMatch.newBuilder().setDestinationPort(UInt32Value.of(80)).setTransportProtocol("tls")))
        .toBuilder().setDefaultFilterChain(FilterChain.newBuilder().setName("fallback")).build();
    assertThat(select(l, conn("10.0.0.1", 80))).isEqualTo("fallback(default)");
  }

  @Test
  void prefixRanges_longestPrefixWins_elseChainWithoutRanges() throws Exception {
    Listener l = listener(chain("wide", FilterChainMatch.newBuilder().addPrefixRanges(cidr("10.0.0.0", 8))),
        chain("narrow", FilterChainMatch.newBuilder().addPrefixRanges(cidr("10.1.0.0", 16))),
        chain("none", FilterChainMatch.newBuilder()));
    assertThat(select(l, conn("10.1.2.3", 80))).isEqualTo("narrow");
    assertThat(select(l, conn("10.2.2.3", 80))).isEqualTo("wide");
    assertThat(select(l, conn("192.168.0.1", 80))).isEqualTo("none");
  }

  @Test
  void serverNames_exactBeatsLongestWildcardBeatsShorterWildcardBeatsNone() throws Exception {
    Listener l = listener(chain("com", FilterChainMatch.newBuilder().addServerNames("*.com")),
        chain("example", FilterChainMatch.newBuilder().addServerNames("*.example.com")),
        chain("www", FilterChainMatch.newBuilder().addServerNames("www.example.com")),
        chain("none", FilterChainMatch.newBuilder()));
    assertThat(select(l, tls("www.example.com"))).isEqualTo("www");
    assertThat(select(l, tls("api.example.com"))).isEqualTo("example");
    assertThat(select(l, tls("a.b.example.com"))).isEqualTo("example");
    assertThat(select(l, tls("other.com"))).isEqualTo("com");
    assertThat(select(l, tls("example.org"))).isEqualTo("none");
    assertThat(select(l, conn("10.0.0.1", 443))).as("no SNI").isEqualTo("none");
  }

  @Test
  void serverNames_wildcardDoesNotMatchItsOwnDomain() throws Exception {
    Listener l = listener(chain("example", FilterChainMatch.newBuilder().addServerNames("*.example.com")));
    assertThat(select(l, tls("example.com"))).isEqualTo("(none)");
  }

  @Test
  void transportProtocol_exactElseEmpty() throws Exception {
    Listener l = listener(chain("tls", FilterChainMatch.newBuilder().setTransportProtocol("tls")),
        chain("plain", FilterChainMatch.newBuilder().setTransportProtocol("raw_buffer")));
    assertThat(select(l, tls("x.example.com"))).isEqualTo("tls");
    assertThat(select(l, conn("10.0.0.1", 80))).isEqualTo("plain");
  }

  @Test
  void applicationProtocols_clientPreferenceOrderDecides() throws Exception {
    Listener l = listener(chain("h2", FilterChainMatch.newBuilder().addApplicationProtocols("h2")),
        chain("http11", FilterChainMatch.newBuilder().addApplicationProtocols("http/1.1")),
        chain("none", FilterChainMatch.newBuilder()));
    assertThat(select(l, conn("10.0.0.1", 80, List.of("http/1.1", "h2")))).isEqualTo("http11");
    assertThat(select(l, conn("10.0.0.1", 80, List.of("h2", "http/1.1")))).isEqualTo("h2");
    assertThat(select(l, conn("10.0.0.1", 80, List.of("istio")))).isEqualTo("none");
  }

  @Test
  void earlierCriterionDecidesBeforeLaterOnes() throws Exception {
    // Server name is checked before transport protocol: a chain with the SNI wins even though its
    // transport protocol is unset and another chain names "tls" exactly.
    Listener l = listener(chain("by-sni", FilterChainMatch.newBuilder().addServerNames("a.example.com")),
        chain("by-transport", FilterChainMatch.newBuilder().setTransportProtocol("tls")));
    assertThat(select(l, tls("a.example.com"))).isEqualTo("by-sni");
    assertThat(select(l, tls("b.example.com"))).isEqualTo("by-transport");
  }

  @Test
  void sourceType_localConnectionsPreferSameIpOrLoopbackChains() throws Exception {
    Listener l = listener(
        chain("local", FilterChainMatch.newBuilder().setSourceType(FilterChainMatch.ConnectionSourceType.SAME_IP_OR_LOOPBACK)),
        chain("any", FilterChainMatch.newBuilder()));
    assertThat(select(l, new Connection("10.0.0.1", 80, "127.0.0.1", 5000, "raw_buffer", "", List.of())))
        .isEqualTo("local");
    assertThat(select(l, new Connection("10.0.0.1", 80, "10.9.9.9", 5000, "raw_buffer", "", List.of())))
        .isEqualTo("any");
  }

  @Test
  void noMatchAndNoDefault_isNull() throws Exception {
    Listener l = listener(chain("port-80", FilterChainMatch.newBuilder().setDestinationPort(UInt32Value.of(80))));
    assertThat(select(l, conn("10.0.0.1", 81))).isEqualTo("(none)");
  }

  @Test
  void identicalMatches_areReportedAsOverlap() {
    Listener l = listener(chain("a", FilterChainMatch.newBuilder()), chain("b", FilterChainMatch.newBuilder()));
    assertThatThrownBy(() -> select(l, conn("10.0.0.1", 80))).isInstanceOf(FilterChainSelector.Overlap.class)
        .hasMessageContaining("0:a").hasMessageContaining("1:b");
  }

  private static String select(Listener l, Connection c) throws FilterChainSelector.Overlap {
    FilterChainSelector.Choice choice = FilterChainSelector.select(l, c, new ArrayList<>());
    if (choice == null) {
      return "(none)";
    }
    return choice.chain().getName() + (choice.index() == Result.DEFAULT_FILTER_CHAIN ? "(default)" : "");
  }

  private static Connection conn(String dst, int port) {
    return conn(dst, port, List.of());
  }

  private static Connection conn(String dst, int port, List<String> alpn) {
    return new Connection(dst, port, "10.244.0.9", 40000, "raw_buffer", "", alpn);
  }

  private static Connection tls(String sni) {
    return new Connection("10.0.0.1", 443, "10.244.0.9", 40000, "tls", sni, List.of());
  }

  private static FilterChain chain(String name, FilterChainMatch.Builder match) {
    return FilterChain.newBuilder().setName(name).setFilterChainMatch(match).build();
  }

  private static CidrRange cidr(String prefix, int len) {
    return CidrRange.newBuilder().setAddressPrefix(prefix).setPrefixLen(UInt32Value.of(len)).build();
  }

  private static Listener listener(FilterChain... chains) {
    return Listener.newBuilder().setName("test").addAllFilterChains(List.of(chains)).build();
  }
}
