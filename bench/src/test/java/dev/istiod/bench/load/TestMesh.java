package dev.istiod.bench.load;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import java.util.ArrayList;
import java.util.List;

/**
 * The small mesh the load generator's tests serve: EDS clusters (one naming its EDS service explicitly), clusters
 * that need no EDS, and listeners whose HTTP connection managers reference routes from a filter chain, a second
 * filter chain and the default filter chain, beside one with an inline route and one TCP-only chain.
 */
final class TestMesh {
  static final String A = "outbound|80||a.default.svc.cluster.local";
  static final String B = "outbound|80||b.default.svc.cluster.local";
  /** Cluster B's EDS service name, which differs from its cluster name. */
  static final String B_EDS = "b-endpoints";
  static final List<String> EDS_NAMES = List.of(A, B_EDS);
  static final List<String> ROUTE_NAMES = List.of("80", "8080", "inbound-http");

  private TestMesh() {}

  static TestAdsServer.Snapshot snapshot(String version, int weightOfA, String endpointIpOfB) {
    List<Message> m = new ArrayList<>();
    m.add(Cluster.newBuilder().setName(A).setType(Cluster.DiscoveryType.EDS).build());
    m.add(Cluster.newBuilder().setName(B).setType(Cluster.DiscoveryType.EDS)
        .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setServiceName(B_EDS)).build());
    m.add(Cluster.newBuilder().setName("PassthroughCluster").setType(Cluster.DiscoveryType.ORIGINAL_DST).build());
    m.add(Cluster.newBuilder().setName("BlackHoleCluster").setType(Cluster.DiscoveryType.STATIC).build());
    m.add(cla(A, "10.1.0.1"));
    m.add(cla(B_EDS, endpointIpOfB));
    m.add(Listener.newBuilder().setName("0.0.0.0_80")
        .addFilterChains(FilterChain.newBuilder().addFilters(hcm(rds("80")))).build());
    m.add(Listener.newBuilder().setName("virtualInbound")
        .addFilterChains(FilterChain.newBuilder().addFilters(tcp()))
        .addFilterChains(FilterChain.newBuilder().addFilters(hcm(rds("inbound-http"))))
        .setDefaultFilterChain(FilterChain.newBuilder().addFilters(hcm(rds("8080")))).build());
    m.add(Listener.newBuilder().setName("inline")
        .addFilterChains(FilterChain.newBuilder().addFilters(hcm(HttpConnectionManager.newBuilder()
            .setStatPrefix("inline").setRouteConfig(route("inline", 100))))).build());
    m.add(route("80", weightOfA));
    m.add(route("8080", 100));
    m.add(route("inbound-http", 100));
    return TestAdsServer.Snapshot.of(version, m, TestMesh::name);
  }

  /** A listener whose bytes are not a Listener: a control plane bug a real Envoy NACKs. */
  static Any brokenListener() {
    return Any.newBuilder().setTypeUrl(XdsType.LISTENER.typeUrl())
        .setValue(ByteString.copyFrom(new byte[] {(byte) 0x0a, (byte) 0x7f, 1, 2})).build();
  }

  private static String name(Message m) {
    return switch (m) {
      case Cluster c -> c.getName();
      case ClusterLoadAssignment c -> c.getClusterName();
      case Listener l -> l.getName();
      case RouteConfiguration r -> r.getName();
      default -> throw new IllegalArgumentException(m.getClass().getName());
    };
  }

  static ClusterLoadAssignment cla(String name, String ip) {
    return ClusterLoadAssignment.newBuilder().setClusterName(name)
        .addEndpoints(LocalityLbEndpoints.newBuilder().addLbEndpoints(LbEndpoint.newBuilder()
            .setEndpoint(Endpoint.newBuilder().setAddress(Address.newBuilder().setSocketAddress(
                SocketAddress.newBuilder().setAddress(ip).setPortValue(8080))))))
        .build();
  }

  private static HttpConnectionManager.Builder rds(String route) {
    return HttpConnectionManager.newBuilder().setStatPrefix(route).setRds(Rds.newBuilder().setRouteConfigName(route));
  }

  private static Filter hcm(HttpConnectionManager.Builder hcm) {
    return Filter.newBuilder().setName("envoy.filters.network.http_connection_manager")
        .setTypedConfig(Any.pack(hcm.build())).build();
  }

  private static Filter tcp() {
    return Filter.newBuilder().setName("envoy.filters.network.tcp_proxy")
        .setTypedConfig(Any.pack(TcpProxy.newBuilder().setStatPrefix("tcp").setCluster(A).build())).build();
  }

  /** A route configuration that splits traffic between A ({@code weightOfA}) and B. */
  static RouteConfiguration route(String name, int weightOfA) {
    return RouteConfiguration.newBuilder().setName(name)
        .addVirtualHosts(VirtualHost.newBuilder().setName("vh").addDomains("*")
            .addRoutes(Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(RouteAction.newBuilder().setWeightedClusters(WeightedCluster.newBuilder()
                    .addClusters(WeightedCluster.ClusterWeight.newBuilder().setName(A)
                        .setWeight(com.google.protobuf.UInt32Value.of(weightOfA)))
                    .addClusters(WeightedCluster.ClusterWeight.newBuilder().setName(B)
                        .setWeight(com.google.protobuf.UInt32Value.of(100 - weightOfA)))))))
        .build();
  }
}
