package dev.istiod.xds.core.gateway;

import dev.istiod.api.networking.v1alpha3.L4MatchAttributes;
import dev.istiod.api.networking.v1alpha3.RouteDestination;
import dev.istiod.api.networking.v1alpha3.Server;
import dev.istiod.api.networking.v1alpha3.ServerTLSSettings.TLSmode;
import dev.istiod.api.networking.v1alpha3.Subset;
import dev.istiod.api.networking.v1alpha3.TCPRoute;
import dev.istiod.api.networking.v1alpha3.TLSMatchAttributes;
import dev.istiod.api.networking.v1alpha3.TLSRoute;
import dev.istiod.api.networking.v1alpha3.VirtualService;
import dev.istiod.model.Config;
import dev.istiod.model.Protocol;
import dev.istiod.model.Service;
import dev.istiod.model.ServicePort;
import dev.istiod.model.push.Hosts;
import dev.istiod.xds.core.EnvoyNames;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.gateway.MergedGateway.BoundServer;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Filter chains of gateway servers that proxy TCP rather than HTTP, as upstream's
 * {@code createGatewayTCPFilterChainOpts}:
 * <ul>
 *   <li>plain TCP: one chain to the first matching {@code tcp} route of a bound VirtualService;</li>
 *   <li>TLS terminated here: the same, behind the server's certificate, matched by its hosts;</li>
 *   <li>PASSTHROUGH: a chain per matching {@code tls} route, matched by the route's {@code sniHosts};</li>
 *   <li>AUTO_PASSTHROUGH: a chain per service port (and subset) whose host the server covers,
 *       matched by the SNI-DNAT cluster name Istio mTLS clients send.</li>
 * </ul>
 * One instance serves one listener generation; it remembers the SNI names passthrough routes
 * claimed per port, so two routes cannot claim one name (Envoy would reject the listener).
 */
final class GatewayTcpChains {
  private static final Logger log = LoggerFactory.getLogger(GatewayTcpChains.class);
  /** Every ALPN an Istio mTLS client may offer; AUTO_PASSTHROUGH only takes Istio mTLS. */
  static final List<String> ALL_ISTIO_MTLS_ALPNS =
      List.of("istio", "istio-peer-exchange", "istio-http/1.0", "istio-http/1.1", "istio-h2");

  private final GatewayInputs gw;
  private final ProxyInputs in;
  private final Map<Integer, Map<String, String>> sniHostsByPort = new HashMap<>();
  private final List<String> problems;

  GatewayTcpChains(GatewayInputs gw, List<String> problems) {
    this.gw = gw;
    this.in = gw.in();
    this.problems = problems;
  }

  List<GatewayChain> chains(BoundServer b, int listenerPort) {
    Server s = b.server();
    if (!s.hasTls()) {
      return fromTcpRoutes(b).map(f -> List.of(new GatewayChain(List.of(), List.of(), Optional.empty(), f, origin(b))))
          .orElseGet(() -> missingRoute(b));
    }
    if (!GatewayServers.isPassthrough(s)) {
      GatewayTls.Result tls = GatewayTls.downstream(s.getTls(), in.mesh(), gw.credentials());
      if (tls instanceof GatewayTls.Result.Unsupported u) {
        problems.add(origin(b) + ": " + u.reason());
        log.error("{}: skipping {}: {}", in.proxy().id(), origin(b), u.reason());
        return List.of();
      }
      var context = ((GatewayTls.Result.Ready) tls).context();
      return fromTcpRoutes(b).map(f -> List.of(new GatewayChain(b.sniHosts(), List.of(), Optional.of(context), f, origin(b))))
          .orElseGet(() -> missingRoute(b));
    }
    if (s.getTls().getMode() == TLSmode.AUTO_PASSTHROUGH) {
      return autoPassthrough(b);
    }
    return fromTlsRoutes(b, listenerPort);
  }

  private List<GatewayChain> missingRoute(BoundServer b) {
    log.warn("{}: gateway {} port {}: no VirtualService tcp route matches; the server gets no filter chain",
        in.proxy().id(), b.gatewayName(), b.port());
    return List.of();
  }

  /** The first {@code tcp} route of a bound VirtualService whose hosts and L4 match fit the server. */
  private Optional<List<Filter>> fromTcpRoutes(BoundServer b) {
    for (Config vs : in.push().virtualServices(in.proxy().configNamespace(), b.gatewayName())) {
      if (!hostsMatch(b.server(), vs)) {
        continue;
      }
      for (TCPRoute tcp : vs.spec(VirtualService.class).getTcpList()) {
        if (tcp.getRouteCount() > 0 && anyL4Match(tcp.getMatchList(), b)) {
          boolean mx = b.server().getTls().getMode() == TLSmode.ISTIO_MUTUAL;
          return Optional.of(routeFilters(tcp.getRouteList(), b.server(), vs, mx));
        }
      }
    }
    return Optional.empty();
  }

  private List<GatewayChain> fromTlsRoutes(BoundServer b, int listenerPort) {
    List<GatewayChain> out = new ArrayList<>();
    for (Config vs : in.push().virtualServices(in.proxy().configNamespace(), b.gatewayName())) {
      if (!hostsMatch(b.server(), vs)) {
        continue;
      }
      List<TLSRoute> routes = vs.spec(VirtualService.class).getTlsList();
      for (TLSRoute tls : routes) {
        for (int i = 0; i < tls.getMatchCount(); i++) {
          TLSMatchAttributes m = tls.getMatch(i);
          if (tls.getRouteCount() == 0 || !l4Match(m.getPort(), m.getGatewaysList(), b)) {
            continue;
          }
          List<String> duplicates = GatewayMerger.duplicates(m.getSniHostsList(), b.server().getBind(),
              sniHostsByPort.computeIfAbsent(listenerPort, k -> new HashMap<>()));
          if (!duplicates.isEmpty()) {
            String what = "VirtualService " + vs.namespace() + "/" + vs.name() + " tls match " + i + " on " + origin(b)
                + ": duplicate SNI host names " + duplicates;
            problems.add(what);
            log.warn("{}: skipping {}", in.proxy().id(), what);
            continue;
          }
          out.add(new GatewayChain(m.getSniHostsList(), List.of(), Optional.empty(),
              routeFilters(tls.getRouteList(), b.server(), vs, false),
              "VirtualService " + vs.namespace() + "/" + vs.name() + " sni " + m.getSniHostsList()));
        }
      }
    }
    return out;
  }

  /** Upstream's {@code builtAutoPassthroughFilterChains}. */
  private List<GatewayChain> autoPassthrough(BoundServer b) {
    List<GatewayChain> out = new ArrayList<>();
    for (Service svc : in.scope().services()) {
      if (svc.meshExternal() || b.sniHosts().stream().noneMatch(h -> Hosts.subsetOf(svc.hostname(), h))) {
        continue;
      }
      var dr = in.scope().destinationRule(in.proxy(), svc.hostname());
      for (ServicePort port : svc.ports()) {
        if (port.protocol() == Protocol.UDP) {
          continue;
        }
        List<String> subsets = new ArrayList<>();
        subsets.add("");
        dr.ifPresent(d -> d.rule().getSubsetsList().stream().map(Subset::getName).forEach(subsets::add));
        for (String subset : subsets) {
          String cluster = EnvoyNames.sniDnatCluster(port.port(), subset, svc.hostname());
          out.add(new GatewayChain(List.of(cluster), ALL_ISTIO_MTLS_ALPNS, Optional.empty(),
              GatewayNetworkFilters.single(in, cluster, cluster, subset, dr, false), "SNI-DNAT " + cluster));
        }
      }
    }
    return out;
  }

  private List<Filter> routeFilters(List<RouteDestination> routes, Server s, Config vs, boolean mx) {
    return GatewayNetworkFilters.forRoutes(in, routes, s.getPort().getNumber(), vs, mx);
  }

  /**
   * Upstream's {@code pickMatchingGatewayHosts} is non-empty: a server host {@code ns/host} only
   * matches VirtualServices of namespace {@code ns}; hosts match as wildcards both ways.
   */
  static boolean hostsMatch(Server s, Config vs) {
    for (String vsHost : vs.spec(VirtualService.class).getHostsList()) {
      for (String gwHost : s.getHostsList()) {
        int slash = gwHost.indexOf('/');
        if (slash >= 0) {
          if (!gwHost.substring(0, slash).equals(vs.namespace())) {
            continue;
          }
          gwHost = gwHost.substring(slash + 1);
        }
        if (Hosts.matches(gwHost, vsHost)) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean anyL4Match(List<L4MatchAttributes> matches, BoundServer b) {
    return matches.isEmpty() || matches.stream().anyMatch(m -> l4Match(m.getPort(), m.getGatewaysList(), b));
  }

  /** Upstream's {@code l4SingleMatch}: the match's port (if any) is the server's, its gateways (if any) name this one. */
  private static boolean l4Match(int port, List<String> gateways, BoundServer b) {
    return (port == 0 || port == b.port()) && (gateways.isEmpty() || gateways.contains(b.gatewayName()));
  }

  static String origin(BoundServer b) {
    Server s = b.server();
    return "gateway " + b.gatewayName() + " server " + (s.getName().isEmpty() ? "" : s.getName() + " ")
        + s.getPort().getNumber() + "/" + s.getPort().getProtocol();
  }
}
