package dev.istiod.xds.core.listener;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.UInt32Value;
import dev.istiod.xds.core.Addresses;
import dev.istiod.xds.core.filter.Filters;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.mongo_proxy.v3.MongoProxy;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Envoy listener rules, each confirmed against upstream Envoy 1.40 {@code --mode validate}. */
class ListenerValidatorTest {
  private static final Filter TCP = Filters.tcpProxy("c", "c");

  @Test
  void overlappingServerNames_areRejected_evenWhenTheListsDiffer() {
    Listener l = listener("l", 443,
        chain(FilterChainMatch.newBuilder().addServerNames("a.com").addServerNames("b.com")),
        chain(FilterChainMatch.newBuilder().addServerNames("B.COM")));

    assertThat(ListenerValidator.problems(l)).singleElement().asString().contains("overlapping");
  }

  @Test
  void sameNetworkWrittenTwoWays_isAnOverlap() {
    Listener l = listener("l", 5432,
        chain(FilterChainMatch.newBuilder().addPrefixRanges(Addresses.cidr("10.1.0.0/8"))),
        chain(FilterChainMatch.newBuilder().addPrefixRanges(Addresses.cidr("10.0.0.0/8"))));

    assertThat(ListenerValidator.problems(l)).singleElement().asString().contains("overlapping");
  }

  @Test
  void distinctMatches_andWildcardBesideExactName_areAccepted() {
    Listener l = listener("l", 443,
        chain(FilterChainMatch.newBuilder().addServerNames("*.a.com")),
        chain(FilterChainMatch.newBuilder().addServerNames("b.a.com")),
        chain(FilterChainMatch.newBuilder().addApplicationProtocols("http/1.1").setTransportProtocol("raw_buffer")),
        chain(FilterChainMatch.newBuilder().setDestinationPort(UInt32Value.of(443))));

    assertThat(ListenerValidator.problems(l)).isEmpty();
  }

  @Test
  void partialWildcardServerNames_areRejected() {
    assertThat(ListenerValidator.problems(listener("l", 443, chain(FilterChainMatch.newBuilder().addServerNames("*")))))
        .singleElement().asString().contains("partial wildcard");
    assertThat(ListenerValidator.problems(listener("l", 443, chain(FilterChainMatch.newBuilder().addServerNames("*foo.com")))))
        .singleElement().asString().contains("partial wildcard");
  }

  @Test
  void chainEndingInANonTerminalFilter_isRejected() {
    Filter mongo = Filters.networkFilter(TcpProxies.MONGO_PROXY, MongoProxy.newBuilder().setStatPrefix("m").build());
    Listener l = Listener.newBuilder().setName("l").setAddress(Addresses.socket("0.0.0.0", 1))
        .addFilterChains(FilterChain.newBuilder().addFilters(mongo)).build();

    assertThat(ListenerValidator.problems(l)).singleElement().asString().contains("non-terminal");
  }

  @Test
  void tcpProxyWithoutCluster_isRejected() {
    Filter empty = Filters.tcpProxy(TcpProxy.newBuilder().setStatPrefix("s")
        .setWeightedClusters(TcpProxy.WeightedCluster.getDefaultInstance()).build());
    Listener l = Listener.newBuilder().setName("l").setAddress(Addresses.socket("0.0.0.0", 1))
        .addFilterChains(FilterChain.newBuilder().addFilters(empty)).build();

    assertThat(ListenerValidator.problems(l)).anySatisfy(p -> assertThat(p).contains("without cluster"));
  }

  @Test
  void envoyProtoRules_areChecked_insideFilterConfigs() {
    Filter noStatPrefix = Filters.tcpProxy(TcpProxy.newBuilder().setCluster("c").build());
    Listener l = Listener.newBuilder().setName("l").setAddress(Addresses.socket("0.0.0.0", 1))
        .addFilterChains(FilterChain.newBuilder().addFilters(noStatPrefix)).build();

    assertThat(ListenerValidator.problems(l)).anySatisfy(p -> assertThat(p).contains("stat_prefix"));
  }

  @Test
  void listenerWithoutChains_isRejected() {
    Listener l = Listener.newBuilder().setName("l").setAddress(Addresses.socket("0.0.0.0", 1)).build();

    assertThat(ListenerValidator.problems(l)).containsExactly("no filter chains");
  }

  @Test
  void check_keepsTheFirstListenerOfAnAddress_andDropsTheOtherWithAReason() {
    Listener first = listener("outbound", 8080, chain(FilterChainMatch.newBuilder()));
    Listener sameAddress = listener("inbound", 8080, chain(FilterChainMatch.newBuilder()));
    Listener broken = listener("broken", 9090, chain(FilterChainMatch.newBuilder()), chain(FilterChainMatch.newBuilder()));
    Listener fine = listener("fine", 9091, chain(FilterChainMatch.newBuilder()));

    ListenerValidator.Checked checked = ListenerValidator.check(List.of(first, sameAddress, broken, fine));

    assertThat(checked.listeners()).extracting(Listener::getName).containsExactly("outbound", "fine");
    assertThat(checked.problems()).hasSize(2)
        .anySatisfy(p -> assertThat(p).startsWith("inbound: duplicate address 0.0.0.0:8080"))
        .anySatisfy(p -> assertThat(p).startsWith("broken: ").contains("overlapping"));
  }

  private static FilterChain chain(FilterChainMatch.Builder match) {
    return FilterChain.newBuilder().setFilterChainMatch(match).addFilters(TCP).build();
  }

  private static Listener listener(String name, int port, FilterChain... chains) {
    return Listener.newBuilder().setName(name).setAddress(Addresses.socket("0.0.0.0", port))
        .addAllFilterChains(List.of(chains)).build();
  }
}
