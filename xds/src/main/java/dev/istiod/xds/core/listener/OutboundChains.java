package dev.istiod.xds.core.listener;

import dev.istiod.api.networking.v1alpha3.L4MatchAttributes;
import dev.istiod.api.networking.v1alpha3.TCPRoute;
import dev.istiod.api.networking.v1alpha3.TLSMatchAttributes;
import dev.istiod.api.networking.v1alpha3.TLSRoute;
import dev.istiod.api.networking.v1alpha3.VirtualService;
import dev.istiod.model.Config;
import dev.istiod.model.Service;
import dev.istiod.model.ServicePort;
import dev.istiod.model.push.Hosts;
import dev.istiod.model.push.VirtualServiceIndex;
import dev.istiod.xds.core.ConfigMetadata;
import dev.istiod.xds.core.EnvoyNames;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.filter.Filters;
import dev.istiod.xds.core.listener.OutboundListeners.ListenerProtocol;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The filter chains one service contributes to an outbound listener, as upstream's
 * {@code buildSidecarOutboundHTTPListenerOpts} and {@code buildSidecarOutbound{TLS,TCP}FilterChainOpts}
 * (pilot/pkg/networking/core/listener.go, tls.go).
 *
 * <ul>
 *   <li>HTTP: one chain fetching RDS {@code "<port>"}; a sniffed (unknown-protocol) service on its
 *       own address gets its own route configuration {@code "<host>:<port>"}.</li>
 *   <li>TLS and HTTPS ports: a chain per {@code tls} route match of the VirtualServices for the
 *       host, told apart by SNI ({@code sniHosts}) and destination subnets; without such a route,
 *       one chain to the service's cluster, matching the service's hostname as SNI when the
 *       listener is shared on the wildcard address or a CIDR.</li>
 *   <li>Other TCP ports: the {@code tcp} routes in order until one matches every destination
 *       (no {@code destinationSubnets}); routes matching only subnets become chains on those
 *       CIDRs; without a catch-all route, a chain to the service's cluster.</li>
 * </ul>
 * Matches on source labels, source namespace, port and gateways are decided here, because the
 * proxy they apply to is known.
 */
final class OutboundChains {
  private static final Logger log = LoggerFactory.getLogger(OutboundChains.class);
  private static final Set<String> MESH = Set.of(VirtualServiceIndex.MESH_GATEWAY);

  /**
   * One service port to build chains for.
   *
   * @param address the service address this listener is for ({@code 0.0.0.0} without a VIP)
   * @param bind the listener address once chosen (a VIP, the wildcard, or the egress bind)
   * @param cidrs destination CIDRs the chains must match (a service whose address is a CIDR)
   */
  record Opts(Service service, ServicePort port, String address, String bind, List<String> cidrs) {
    Opts {
      cidrs = List.copyOf(cidrs);
    }
  }

  private final ProxyInputs in;
  private final TcpProxies tcpProxies;

  OutboundChains(ProxyInputs in) {
    this.in = in;
    this.tcpProxies = new TcpProxies(in);
  }

  /** The HTTP chain of a service port; {@code sniffed} ports on their own address get their own RDS. */
  ChainSpec http(Opts o, ListenerProtocol listenerProtocol) {
    String rds = listenerProtocol == ListenerProtocol.AUTO && !o.bind().equals(in.wildcardAddress())
        ? EnvoyNames.sniffedRouteConfig(o.service().hostname(), o.port().port())
        : EnvoyNames.outboundRouteConfig(o.port().port());
    return ChainSpec.http(rds, o.port().protocol());
  }

  /** The HTTP chain matching only what the HTTP inspector detects as plain-text HTTP. */
  ChainSpec sniffedHttp(Opts o, ListenerProtocol listenerProtocol) {
    return http(o, listenerProtocol).withApplicationProtocols(Filters.PLAINTEXT_HTTP_ALPNS, Filters.RAW_BUFFER);
  }

  /** The TLS or TCP chains of a service port, shaped by the VirtualServices for its host. */
  List<ChainSpec> tcp(Opts o, List<Config> virtualServices) {
    List<Config> forHost = virtualServices.stream()
        .filter(vs -> vs.spec(VirtualService.class).getHostsList().stream()
            .anyMatch(h -> Hosts.matches(h, o.service().hostname())))
        .toList();
    List<ChainSpec> out = new ArrayList<>(tls(o, forHost));
    out.addAll(plainTcp(o, forHost));
    return out;
  }

  private List<ChainSpec> tls(Opts o, List<Config> forHost) {
    if (!o.port().protocol().isTls()) {
      return List.of();
    }
    List<ChainSpec> out = new ArrayList<>();
    Set<String> handled = new HashSet<>();
    List<String> cidrs = o.cidrs();
    for (Config vs : forHost) {
      for (TLSRoute route : vs.spec(VirtualService.class).getTlsList()) {
        if (route.getRouteCount() == 0) {
          continue;
        }
        for (TLSMatchAttributes m : route.getMatchList()) {
          if (!matches(m.getSourceLabelsMap(), m.getGatewaysList(), m.getPort(), m.getSourceNamespace(), o.port().port())) {
            continue;
          }
          if (m.getDestinationSubnetsCount() > 0) {
            // As upstream, the route's subnets replace the service's CIDRs from here on.
            cidrs = m.getDestinationSubnetsList();
          }
          String runtimeKey = String.join(",", m.getSniHostsList()) + "|" + String.join(",", m.getDestinationSubnetsList());
          if (handled.add(runtimeKey)) {
            // A later match with the same SNI and subsets could never be reached.
            out.add(ChainSpec.tcp(m.getSniHostsList(), cidrs,
                tcpProxies.forRoute(route.getRouteList(), o.port().port(), o.port().protocol(), vs),
                ConfigMetadata.forConfig(vs)));
          }
        }
      }
    }
    if (!out.isEmpty()) {
      return out;
    }
    return List.of(ChainSpec.tcp(defaultSni(o), o.cidrs(),
        tcpProxies.toService(o.service(), clusterPort(o), o.port().protocol()), null));
  }

  /**
   * The service's hostname as SNI when nothing else tells its traffic apart: its address is a
   * CIDR, it has none, or both it and the listener are the wildcard address.
   */
  private List<String> defaultSni(Opts o) {
    String address = o.address().contains("/") ? "" : o.address();
    String wildcard = in.wildcardAddress();
    if (!o.cidrs().isEmpty() || address.isEmpty() || (address.equals(wildcard) && o.bind().equals(wildcard))) {
      return List.of(o.service().hostname());
    }
    return List.of();
  }

  private List<ChainSpec> plainTcp(Opts o, List<Config> forHost) {
    if (o.port().protocol().isTls()) {
      return List.of();
    }
    List<ChainSpec> out = new ArrayList<>();
    for (Config vs : forHost) {
      for (TCPRoute route : vs.spec(VirtualService.class).getTcpList()) {
        if (route.getRouteCount() == 0) {
          continue;
        }
        if (route.getMatchCount() == 0) {
          out.add(chainFor(o, vs, route, o.cidrs(), true));
          return out; // a route without match takes every connection: nothing after it is reachable
        }
        List<String> subnets = new ArrayList<>();
        for (L4MatchAttributes m : route.getMatchList()) {
          if (!matches(m.getSourceLabelsMap(), m.getGatewaysList(), m.getPort(), m.getSourceNamespace(), o.port().port())) {
            continue;
          }
          if (m.getDestinationSubnetsCount() == 0) {
            out.add(chainFor(o, vs, route, o.cidrs(), true));
            return out;
          }
          subnets.addAll(m.getDestinationSubnetsList());
        }
        if (!subnets.isEmpty()) {
          out.add(chainFor(o, vs, route, subnets, false));
          if (new HashSet<>(subnets).equals(new HashSet<>(o.cidrs())) && subnets.size() == o.cidrs().size()) {
            log.warn("{}: a TCP route of {} matches exactly the CIDRs of {}; its default chain is left out",
                in.proxy().id(), vs.key(), o.service().hostname());
            return out;
          }
        }
      }
    }
    out.add(ChainSpec.tcp(List.of(), o.cidrs(), tcpProxies.toService(o.service(), clusterPort(o), o.port().protocol()),
        null));
    return out;
  }

  private ChainSpec chainFor(Opts o, Config vs, TCPRoute route, List<String> cidrs, boolean withMetadata) {
    return ChainSpec.tcp(List.of(), cidrs,
        tcpProxies.forRoute(route.getRouteList(), o.port().port(), o.port().protocol(), vs),
        withMetadata ? ConfigMetadata.forConfig(vs) : null);
  }

  /**
   * The port of a service's own cluster: the listener's port, or the service's only port when a
   * Sidecar egress listener names a port the service does not have.
   */
  private static int clusterPort(Opts o) {
    return o.service().ports().size() == 1 ? o.service().ports().get(0).port() : o.port().port();
  }

  /** Upstream's {@code matchTCP}/{@code matchTLS}: the conditions fixed by which proxy this is. */
  private boolean matches(Map<String, String> sourceLabels, List<String> gateways, int port, String sourceNamespace,
      int listenPort) {
    boolean gatewayMatch = gateways.isEmpty() || gateways.stream().anyMatch(MESH::contains);
    boolean labelMatch = in.proxy().labels().entrySet().containsAll(sourceLabels.entrySet());
    boolean portMatch = port == 0 || port == listenPort;
    boolean namespaceMatch = sourceNamespace.isEmpty() || sourceNamespace.equals(in.proxy().configNamespace());
    return gatewayMatch && labelMatch && portMatch && namespaceMatch;
  }
}
