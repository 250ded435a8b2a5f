package dev.istiod.xds.core.gateway;

import dev.istiod.api.networking.v1alpha3.ConnectionPoolSettings;
import dev.istiod.api.networking.v1alpha3.Destination;
import dev.istiod.api.networking.v1alpha3.LoadBalancerSettings;
import dev.istiod.api.networking.v1alpha3.RouteDestination;
import dev.istiod.api.networking.v1alpha3.Subset;
import dev.istiod.api.networking.v1alpha3.TrafficPolicy;
import dev.istiod.model.Config;
import dev.istiod.model.Service;
import dev.istiod.model.push.ResolvedDestinationRule;
import dev.istiod.xds.core.EnvoyNames;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.filter.Filters;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.type.v3.HashPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The network filters of a gateway TCP chain, as upstream's {@code buildOutboundNetworkFilters}:
 * a TCP proxy to one cluster (stat prefix = cluster name) or to weighted clusters (stat prefix =
 * {@code <vs>.<namespace>}), with the DestinationRule's TCP idle timeout, maximum connection
 * duration and source-IP hashing. Protocol-specific filters (Mongo, Redis, MySQL) are not built:
 * the TCP proxy carries those protocols unchanged.
 */
final class GatewayNetworkFilters {
  private GatewayNetworkFilters() {}

  static List<Filter> forRoutes(ProxyInputs in, List<RouteDestination> routes, int serverPort, Config vs,
      boolean metadataExchange) {
    Destination first = routes.get(0).getDestination();
    Optional<Service> service = in.scope().service(first.getHost());
    Optional<ResolvedDestinationRule> dr = service.flatMap(s -> in.scope().destinationRule(in.proxy(), s.hostname()));
    if (routes.size() == 1) {
      String cluster = cluster(first, service, serverPort);
      return single(in, cluster, cluster, first.getSubset(), dr, metadataExchange);
    }
    TcpProxy.WeightedCluster.Builder weighted = TcpProxy.WeightedCluster.newBuilder();
    for (RouteDestination r : routes) {
      if (r.getWeight() > 0) {
        Optional<Service> s = in.scope().service(r.getDestination().getHost());
        weighted.addClusters(TcpProxy.WeightedCluster.ClusterWeight.newBuilder()
            .setName(cluster(r.getDestination(), s, serverPort)).setWeight(r.getWeight()));
      }
    }
    TcpProxy.Builder tcp = TcpProxy.newBuilder().setStatPrefix(vs.name() + "." + vs.namespace())
        .setWeightedClusters(weighted);
    connectionLimits(in, tcp, dr);
    sourceIpHash(tcp, dr, "");
    return withMetadataExchange(in, Filters.tcpProxy(tcp.build()), metadataExchange);
  }

  /** Upstream's {@code buildOutboundNetworkFiltersWithSingleDestination}. */
  static List<Filter> single(ProxyInputs in, String statPrefix, String cluster, String subset,
      Optional<ResolvedDestinationRule> dr, boolean metadataExchange) {
    TcpProxy.Builder tcp = TcpProxy.newBuilder().setStatPrefix(statPrefix).setCluster(cluster);
    connectionLimits(in, tcp, dr);
    sourceIpHash(tcp, dr, subset);
    return withMetadataExchange(in, Filters.tcpProxy(tcp.build()), metadataExchange);
  }

  /**
   * Upstream's {@code GetDestinationCluster}: the destination's port, else the service's only
   * port, else the server's port.
   */
  static String cluster(Destination d, Optional<Service> service, int serverPort) {
    int port = serverPort;
    if (d.hasPort() && d.getPort().getNumber() != 0) {
      port = d.getPort().getNumber();
    } else if (service.isPresent() && service.get().ports().size() == 1) {
      port = service.get().ports().get(0).port();
    }
    return EnvoyNames.outboundCluster(port, d.getSubset(), d.getHost());
  }

  private static List<Filter> withMetadataExchange(ProxyInputs in, Filter tcpProxy, boolean metadataExchange) {
    List<Filter> out = new ArrayList<>();
    if (metadataExchange && in.metadataExchange()) {
      out.add(Filters.listenerMetadataExchange());
    }
    out.addAll(dev.istiod.xds.core.security.authz.AuthzFilters.network(in)); // AuthorizationPolicy, before the proxy
    out.add(tcpProxy);
    return out;
  }

  /** The rule's TCP idle timeout (else the proxy's {@code IDLE_TIMEOUT}) and maximum connection duration. */
  private static void connectionLimits(ProxyInputs in, TcpProxy.Builder tcp, Optional<ResolvedDestinationRule> dr) {
    ConnectionPoolSettings.TCPSettings t = dr.map(d -> d.rule().getTrafficPolicy().getConnectionPool().getTcp())
        .orElse(ConnectionPoolSettings.TCPSettings.getDefaultInstance());
    if (t.hasIdleTimeout()) {
      tcp.setIdleTimeout(t.getIdleTimeout());
    } else {
      GatewayConnectionManagers.idleTimeout(in).ifPresent(tcp::setIdleTimeout);
    }
    if (t.hasMaxConnectionDuration()) {
      tcp.setMaxDownstreamConnectionDuration(t.getMaxConnectionDuration());
    }
  }

  /** Upstream's {@code maybeSetHashPolicy}: consistent hashing by source IP, the subset's setting winning. */
  private static void sourceIpHash(TcpProxy.Builder tcp, Optional<ResolvedDestinationRule> dr, String subset) {
    if (dr.isEmpty()) {
      return;
    }
    boolean sourceIp = dr.get().rule().getTrafficPolicy().getLoadBalancer().getConsistentHash().getUseSourceIp();
    for (Subset s : dr.get().rule().getSubsetsList()) {
      if (!s.getName().equals(subset)) {
        continue;
      }
      TrafficPolicy p = s.getTrafficPolicy();
      if (p.hasLoadBalancer()) {
        LoadBalancerSettings lb = p.getLoadBalancer();
        sourceIp = lb.hasConsistentHash() && lb.getConsistentHash().getUseSourceIp();
      }
      break;
    }
    if (sourceIp) {
      tcp.addHashPolicy(HashPolicy.newBuilder().setSourceIp(HashPolicy.SourceIp.getDefaultInstance()));
    }
  }
}
