package dev.istiod.xds.core.listener;

import com.google.protobuf.Duration;
import dev.istiod.api.networking.v1alpha3.Destination;
import dev.istiod.api.networking.v1alpha3.DestinationRule;
import dev.istiod.api.networking.v1alpha3.LoadBalancerSettings;
import dev.istiod.api.networking.v1alpha3.RouteDestination;
import dev.istiod.api.networking.v1alpha3.Subset;
import dev.istiod.api.networking.v1alpha3.TrafficPolicy;
import dev.istiod.model.Config;
import dev.istiod.model.GoDuration;
import dev.istiod.model.Protocol;
import dev.istiod.model.Service;
import dev.istiod.xds.core.EnvoyNames;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.filter.Filters;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.extensions.filters.network.mongo_proxy.v3.MongoProxy;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.type.v3.HashPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The network filter stacks of outbound TCP chains, as upstream's {@code buildOutboundNetworkFilters}:
 * a TCP proxy to one cluster (stat prefix = the cluster) or, for a route with several
 * destinations, to weighted clusters (stat prefix {@code <vs name>.<vs namespace>}); the
 * DestinationRule's TCP idle timeout and maximum connection duration, a source-IP hash policy when
 * the rule hashes on source IP; and the Mongo proxy in front for Mongo ports, as upstream does by
 * default ({@code PILOT_ENABLE_MONGO_FILTER}). Redis and MySQL filters are off by default upstream
 * (and MySQL is not in upstream Envoy), so those ports get a plain TCP proxy.
 */
final class TcpProxies {
  static final String MONGO_PROXY = "envoy.filters.network.mongo_proxy";

  private final ProxyInputs in;

  TcpProxies(ProxyInputs in) {
    this.in = in;
  }

  /** A TCP proxy straight to a service's own cluster (no VirtualService, or no matching route). */
  List<Filter> toService(Service service, int port, Protocol listenProtocol) {
    String cluster = EnvoyNames.outboundCluster(port, "", service.hostname());
    DestinationRule dr = destinationRule(service.hostname());
    return stack(listenProtocol, singleDestination(cluster, cluster, "", dr), cluster);
  }

  /**
   * A TCP proxy for the destinations of one TCP or TLS route of {@code vs}: the first destination's
   * DestinationRule applies to the whole proxy, as upstream.
   */
  List<Filter> forRoute(List<RouteDestination> routes, int listenPort, Protocol listenProtocol, Config vs) {
    Destination first = routes.get(0).getDestination();
    Optional<Service> firstService = in.scope().service(first.getHost());
    DestinationRule dr = firstService.map(s -> destinationRule(s.hostname())).orElse(null);
    if (routes.size() == 1) {
      String cluster = destinationCluster(first, firstService, listenPort);
      return stack(listenProtocol, singleDestination(cluster, cluster, first.getSubset(), dr), cluster);
    }
    String statPrefix = EnvoyNames.weightedTcpStatPrefix(vs.name(), vs.namespace());
    TcpProxy.Builder tcp = base(statPrefix, dr);
    TcpProxy.WeightedCluster.Builder weighted = TcpProxy.WeightedCluster.newBuilder();
    for (RouteDestination r : routes) {
      if (r.getWeight() > 0) {
        Destination d = r.getDestination();
        weighted.addClusters(TcpProxy.WeightedCluster.ClusterWeight.newBuilder()
            .setName(destinationCluster(d, in.scope().service(d.getHost()), listenPort))
            .setWeight(r.getWeight()));
      }
    }
    if (weighted.getClustersCount() == 0) {
      // Validation requires weights summing to 100 for several destinations; an all-zero split
      // would be an empty weighted_clusters, which Envoy rejects. Send nothing rather than that.
      throw new IllegalArgumentException("TCP/TLS route of " + vs.key() + " has no destination with a positive weight");
    }
    tcp.setWeightedClusters(weighted);
    sourceIpHash(dr, "").ifPresent(tcp::addHashPolicy);
    return stack(listenProtocol, tcp.build(), weighted.getClusters(0).getName());
  }

  /** The TCP proxy of an inbound chain to {@code cluster} (an {@code inbound|<port>||} or passthrough cluster). */
  List<Filter> inbound(String cluster, Protocol protocol) {
    TcpProxy.Builder tcp = TcpProxy.newBuilder().setStatPrefix(cluster).setCluster(cluster);
    idleTimeoutFromMetadata().ifPresent(tcp::setIdleTimeout);
    return stack(protocol, tcp.build(), cluster);
  }

  /** The catch-all TCP proxy of unmatched outbound traffic to {@code cluster}. */
  Filter catchAll(String cluster) {
    TcpProxy.Builder tcp = TcpProxy.newBuilder().setStatPrefix(cluster).setCluster(cluster);
    idleTimeoutFromMetadata().ifPresent(tcp::setIdleTimeout);
    return Filters.tcpProxy(tcp.build());
  }

  /**
   * The cluster of a route destination, as upstream's {@code GetDestinationCluster}: the
   * destination's port, else the service's only port, else the listener's port.
   */
  static String destinationCluster(Destination d, Optional<Service> service, int listenPort) {
    int port = listenPort;
    if (d.hasPort()) {
      port = d.getPort().getNumber();
    } else if (service.isPresent() && service.get().ports().size() == 1) {
      port = service.get().ports().get(0).port();
    }
    return EnvoyNames.outboundCluster(port, d.getSubset(), d.getHost());
  }

  private TcpProxy singleDestination(String statPrefix, String cluster, String subset, DestinationRule dr) {
    TcpProxy.Builder tcp = base(statPrefix, dr).setCluster(cluster);
    sourceIpHash(dr, subset).ifPresent(tcp::addHashPolicy);
    return tcp.build();
  }

  private TcpProxy.Builder base(String statPrefix, DestinationRule dr) {
    TcpProxy.Builder tcp = TcpProxy.newBuilder().setStatPrefix(statPrefix);
    var tcpSettings = dr == null ? null : dr.getTrafficPolicy().getConnectionPool().getTcp();
    if (tcpSettings != null && tcpSettings.hasIdleTimeout()) {
      tcp.setIdleTimeout(tcpSettings.getIdleTimeout());
    } else {
      idleTimeoutFromMetadata().ifPresent(tcp::setIdleTimeout);
    }
    if (tcpSettings != null && tcpSettings.hasMaxConnectionDuration()) {
      tcp.setMaxDownstreamConnectionDuration(tcpSettings.getMaxConnectionDuration());
    }
    return tcp;
  }

  /** Mongo ports get the Mongo proxy (stats only) before the TCP proxy, as upstream by default. */
  private static List<Filter> stack(Protocol protocol, TcpProxy tcp, String cluster) {
    List<Filter> out = new ArrayList<>();
    if (protocol == Protocol.MONGO) {
      out.add(Filters.networkFilter(MONGO_PROXY, MongoProxy.newBuilder().setStatPrefix(tcp.getStatPrefix()).build()));
    }
    out.add(Filters.tcpProxy(tcp));
    return out;
  }

  /**
   * Upstream's {@code maybeSetHashPolicy}: hash on the source IP when the rule (or the named
   * subset, whose load balancer replaces the rule's) uses consistent hashing by source IP.
   */
  private static Optional<HashPolicy> sourceIpHash(DestinationRule dr, String subsetName) {
    if (dr == null) {
      return Optional.empty();
    }
    boolean useSourceIp = dr.getTrafficPolicy().getLoadBalancer().getConsistentHash().getUseSourceIp();
    for (Subset s : dr.getSubsetsList()) {
      if (!s.getName().equals(subsetName)) {
        continue;
      }
      TrafficPolicy p = s.getTrafficPolicy();
      if (s.hasTrafficPolicy() && p.hasLoadBalancer()) {
        LoadBalancerSettings lb = p.getLoadBalancer();
        useSourceIp = lb.hasConsistentHash() && lb.getConsistentHash().getUseSourceIp();
      }
      break;
    }
    if (!useSourceIp) {
      return Optional.empty();
    }
    return Optional.of(HashPolicy.newBuilder().setSourceIp(HashPolicy.SourceIp.getDefaultInstance()).build());
  }

  private DestinationRule destinationRule(String hostname) {
    return in.scope().destinationRule(in.proxy(), hostname).map(r -> r.rule()).orElse(null);
  }

  /** The proxy's {@code IDLE_TIMEOUT} metadata as a duration; absent or unparsable means Envoy's default. */
  private Optional<Duration> idleTimeoutFromMetadata() {
    String s = in.idleTimeoutMetadata();
    if (s.isEmpty()) {
      return Optional.empty();
    }
    try {
      java.time.Duration d = GoDuration.parse(s);
      return Optional.of(Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build());
    } catch (IllegalArgumentException e) {
      return Optional.empty(); // upstream ignores an unparsable value too
    }
  }
}
