package dev.istiod.xds.simulation;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.filters.network.sni_cluster.v3.SniCluster;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The simulator over hand-written Envoy config shaped like a gateway: bound listeners, TLS
 * termination, SNI routing. Covers the failures a user would see as a refused or reset call.
 */
class SimulationTest {
  private static final Cluster WEB = Cluster.newBuilder().setName("outbound|80||web.example")
      .setType(Cluster.DiscoveryType.EDS).build();

  @Test
  void boundListener_takesDirectCalls_unboundOneDoesNot() {
    Simulation sim = sim(List.of(httpListener("0.0.0.0", 8080, true, "http.8080", false),
        httpListener("0.0.0.0", 9090, false, "http.9090", false)), route("http.8080"), route("http.9090"));
    sim.call(Call.http("web.example", 8080).address("10.1.1.1").direct()).expectListener("0.0.0.0_8080")
        .expectCluster(WEB.getName()).expectOk();
    sim.call(Call.http("web.example", 9090).address("10.1.1.1").direct()).expectFailure(Failure.NO_LISTENER);
  }

  @Test
  void tlsTerminatingChain_refusesPlaintext_andRoutesHttps() {
    Simulation sim = sim(List.of(httpListener("0.0.0.0", 443, true, "https.443", true)), route("https.443"));
    sim.call(Call.https("web.example", 443).address("10.1.1.1").direct()).expectCluster(WEB.getName()).expectOk();
    sim.call(Call.http("web.example", 443).address("10.1.1.1").direct()).expectFailure(Failure.TLS_ERROR);
  }

  @Test
  void clientCertificateRequired_refusesPlainTls() {
    Listener l = httpListener("0.0.0.0", 443, true, "https.443", true);
    FilterChain mutual = l.getFilterChains(0).toBuilder().setTransportSocket(tls(true)).build();
    Simulation sim = sim(List.of(l.toBuilder().setFilterChains(0, mutual).build()), route("https.443"));
    sim.call(Call.https("web.example", 443).address("10.1.1.1").direct()).expectFailure(Failure.TLS_ERROR);
    sim.call(Call.https("web.example", 443).address("10.1.1.1").direct().transport(Call.Transport.MUTUAL_TLS))
        .expectCluster(WEB.getName()).expectOk();
  }

  @Test
  void rawTcpIntoAConnectionManager_isAProtocolError() {
    Simulation sim = sim(List.of(httpListener("0.0.0.0", 8080, true, "http.8080", false)), route("http.8080"));
    sim.call(Call.tcp("10.1.1.1", 8080).direct()).expectFailure(Failure.PROTOCOL_ERROR);
  }

  @Test
  void missingRouteConfigurationOrCluster_areNamedFailures() {
    Simulation noRoutes = Simulation.of(ProxyResources.of(
        List.of(httpListener("0.0.0.0", 8080, true, "http.8080", false)), List.of(), List.of(WEB), List.of()));
    noRoutes.call(Call.http("web.example", 8080).direct()).expectFailure(Failure.NO_ROUTE_CONFIG)
        .expectRouteConfig("http.8080");
    Simulation noCluster = Simulation.of(ProxyResources.of(
        List.of(httpListener("0.0.0.0", 8080, true, "http.8080", false)), List.of(route("http.8080")), List.of(),
        List.of()));
    noCluster.call(Call.http("web.example", 8080).direct()).expectCluster(WEB.getName())
        .expectFailure(Failure.NO_CLUSTER);
  }

  @Test
  void requireTls_redirectsPlaintextToHttps() {
    RouteConfiguration rc = route("http.8080").toBuilder()
        .setVirtualHosts(0, route("http.8080").getVirtualHosts(0).toBuilder().setRequireTls(VirtualHost.TlsRequirementType.ALL))
        .build();
    Simulation sim = Simulation.of(ProxyResources.of(List.of(httpListener("0.0.0.0", 8080, true, "http.8080", false)),
        List.of(rc), List.of(WEB), List.of()));
    sim.call(Call.http("web.example", 8080).path("/a?b=1").direct()).expectRedirect(301, "https://web.example/a?b=1");
  }

  @Test
  void sniCluster_forwardsToTheClusterNamedBySni_tlsInspectorMakesSniVisible() {
    String sniName = "outbound_.443_._.web.example";
    Listener passthrough = listener("0.0.0.0", 15443, true).toBuilder()
        .addListenerFilters(ListenerFilter.newBuilder().setName("envoy.filters.listener.tls_inspector")
            .setTypedConfig(Any.pack(TlsInspector.getDefaultInstance())))
        .addFilterChains(FilterChain.newBuilder().setName("auto-passthrough")
            .setFilterChainMatch(FilterChainMatch.newBuilder().addServerNames("*.web.example"))
            .addFilters(Filter.newBuilder().setName("envoy.filters.network.sni_cluster")
                .setTypedConfig(Any.pack(SniCluster.getDefaultInstance())))
            .addFilters(tcpProxy("BlackHoleCluster")))
        .build();
    Simulation sim = Simulation.of(ProxyResources.of(List.of(passthrough), List.of(),
        List.of(WEB.toBuilder().setName(sniName).build()), List.of()));
    sim.call(Call.tls(sniName, 15443).address("10.1.1.1").direct()).expectFilterChain("auto-passthrough")
        .expectCluster(sniName).expectOk();
    sim.call(Call.tls("other.example", 15443).address("10.1.1.1").direct()).expectFailure(Failure.NO_FILTER_CHAIN);
  }

  @Test
  void unmodelledConfig_failsLoudly() {
    Listener l = listener("0.0.0.0", 7000, true).toBuilder().addFilterChains(FilterChain.newBuilder()
        .addFilters(Filter.newBuilder().setName("envoy.filters.network.redis_proxy"))).build();
    Simulation sim = Simulation.of(ProxyResources.of(List.of(l), List.of(), List.of(), List.of()));
    assertThatThrownBy(() -> sim.run(Call.tcp("10.1.1.1", 7000).direct()))
        .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("redis_proxy");
  }

  private static Simulation sim(List<Listener> listeners, RouteConfiguration... routes) {
    return Simulation.of(ProxyResources.of(listeners, List.of(routes), List.of(WEB), List.of()));
  }

  private static RouteConfiguration route(String name) {
    return RouteConfiguration.newBuilder().setName(name).addVirtualHosts(VirtualHost.newBuilder().setName("web")
        .addDomains("web.example").addRoutes(Route.newBuilder().setName("all")
            .setMatch(RouteMatch.newBuilder().setPrefix("/"))
            .setRoute(RouteAction.newBuilder().setCluster(WEB.getName())))).build();
  }

  private static Listener listener(String address, int port, boolean bind) {
    return Listener.newBuilder().setName(address + "_" + port)
        .setAddress(Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress(address)
            .setPortValue(port)))
        .setBindToPort(BoolValue.of(bind)).build();
  }

  private static Listener httpListener(String address, int port, boolean bind, String rds, boolean tls) {
    HttpConnectionManager hcm = HttpConnectionManager.newBuilder().setStatPrefix(rds)
        .setRds(Rds.newBuilder().setRouteConfigName(rds)).build();
    FilterChain.Builder chain = FilterChain.newBuilder().addFilters(Filter.newBuilder()
        .setName("envoy.filters.network.http_connection_manager").setTypedConfig(Any.pack(hcm)));
    if (tls) {
      chain.setTransportSocket(tls(false));
    }
    return listener(address, port, bind).toBuilder().addFilterChains(chain).build();
  }

  private static TransportSocket tls(boolean requireClientCertificate) {
    return TransportSocket.newBuilder().setName("envoy.transport_sockets.tls").setTypedConfig(Any.pack(
        DownstreamTlsContext.newBuilder().setRequireClientCertificate(BoolValue.of(requireClientCertificate)).build()))
        .build();
  }

  private static Filter tcpProxy(String cluster) {
    return Filter.newBuilder().setName("envoy.filters.network.tcp_proxy").setTypedConfig(Any.pack(
        TcpProxy.newBuilder().setStatPrefix(cluster).setCluster(cluster).build())).build();
  }
}
