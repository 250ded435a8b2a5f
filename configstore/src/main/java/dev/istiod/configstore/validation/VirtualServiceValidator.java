package dev.istiod.configstore.validation;

import static dev.istiod.configstore.validation.Issues.q;

import dev.istiod.api.networking.v1alpha3.HTTPMatchRequest;
import dev.istiod.api.networking.v1alpha3.HTTPRoute;
import dev.istiod.api.networking.v1alpha3.L4MatchAttributes;
import dev.istiod.api.networking.v1alpha3.RouteDestination;
import dev.istiod.api.networking.v1alpha3.TCPRoute;
import dev.istiod.api.networking.v1alpha3.TLSMatchAttributes;
import dev.istiod.api.networking.v1alpha3.TLSRoute;
import dev.istiod.api.networking.v1alpha3.VirtualService;
import dev.istiod.model.Config;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** VirtualService rules (upstream's ValidateVirtualService). */
final class VirtualServiceValidator implements Validator {
  static final String ROUTE_SEMANTICS_ANNOTATION = "internal.istio.io/route-semantics";
  private static final String MESH_GATEWAY = "mesh";

  @Override
  public ValidationResult validate(Config config) {
    VirtualService vs = config.spec(VirtualService.class);
    Issues issues = new Issues();
    boolean delegate = vs.getHostsCount() == 0;
    if (delegate) {
      // Without hosts this is a delegate: only HTTP routes make sense in it.
      if (vs.getGatewaysCount() != 0) {
        issues.error("delegate virtual service must have no gateways specified");
      }
      if (vs.getTlsCount() != 0) {
        issues.error("delegate virtual service must have no tls route specified");
      }
      if (vs.getTcpCount() != 0) {
        issues.error("delegate virtual service must have no tcp route specified");
      }
    }
    boolean gatewaySemantics = "gateway".equals(config.meta().annotations().get(ROUTE_SEMANTICS_ANNOTATION));
    boolean appliesToGateway = false;
    boolean appliesToMesh = true;
    if (vs.getGatewaysCount() != 0) {
      Common.gatewayNames(issues, vs.getGatewaysList(), gatewaySemantics);
      appliesToGateway = !vs.getGatewaysList().contains(MESH_GATEWAY);
      appliesToMesh = !appliesToGateway;
    }
    if (!appliesToGateway) {
      jwtClaimRoutesNeedGateway(issues, vs);
    }
    hosts(issues, vs, appliesToGateway, appliesToMesh);
    if (vs.getHttpCount() == 0 && vs.getTcpCount() == 0 && vs.getTlsCount() == 0) {
      issues.error("http, tcp or tls must be provided in virtual service");
    }
    for (HTTPRoute http : vs.getHttpList()) {
      HttpRouteChecks.route(issues, http, delegate, gatewaySemantics);
    }
    for (TLSRoute tls : vs.getTlsList()) {
      tlsRoute(issues, tls, vs, gatewaySemantics);
    }
    for (TCPRoute tcp : vs.getTcpList()) {
      tcpRoute(issues, tcp, gatewaySemantics);
    }
    Common.exportTo(issues, config.namespace(), vs.getExportToList(), false, false);
    RouteReachability.analyze(issues, vs);
    return issues.result();
  }

  private static void jwtClaimRoutesNeedGateway(Issues issues, VirtualService vs) {
    for (HTTPRoute http : vs.getHttpList()) {
      for (HTTPMatchRequest m : http.getMatchList()) {
        for (Map<String, ?> headers : List.of(m.getHeadersMap(), m.getWithoutHeadersMap())) {
          for (String key : headers.keySet()) {
            if (HttpChecks.isJwtClaimRoute(key)) {
              issues.error("JWT claim based routing (key: " + key + ") is only supported for gateway, "
                  + "found no gateways: " + goList(vs.getGatewaysList()));
            }
          }
        }
      }
    }
  }

  private static void hosts(Issues issues, VirtualService vs, boolean appliesToGateway, boolean appliesToMesh) {
    boolean allValid = true;
    boolean sni = hasSniHosts(vs);
    for (String host : vs.getHostsList()) {
      Optional<String> err = appliesToGateway
          ? HostNames.wildcardDomainForGatewayVirtualService(sni, host)
          : HostNames.wildcardDomain(host);
      if (err.isPresent()) {
        if (!Addresses.isIp(host)) {
          issues.error(err.get());
          allValid = false;
        }
      } else if (appliesToMesh && host.equals("*")) {
        issues.error("wildcard host * is not allowed for virtual services bound to the mesh gateway");
        allValid = false;
      }
    }
    if (!allValid) {
      return;
    }
    // Duplicates include wildcard overlaps: *.foo.com and *.com in one VirtualService.
    List<String> hosts = vs.getHostsList();
    for (int i = 0; i < hosts.size(); i++) {
      for (int j = i + 1; j < hosts.size(); j++) {
        if (HostNames.matches(hosts.get(i), hosts.get(j))) {
          issues.error("duplicate hosts in virtual service: " + hosts.get(i) + " & " + hosts.get(j));
        }
      }
    }
  }

  private static boolean hasSniHosts(VirtualService vs) {
    return vs.getTlsList().stream()
        .flatMap(t -> t.getMatchList().stream())
        .anyMatch(m -> m.getSniHostsCount() > 0);
  }

  private static void tlsRoute(Issues issues, TLSRoute tls, VirtualService vs, boolean gatewaySemantics) {
    if (tls.getMatchCount() == 0) {
      issues.error("TLS route must have at least one match condition");
    }
    for (TLSMatchAttributes m : tls.getMatchList()) {
      if (m.getSniHostsCount() == 0) {
        issues.error("TLS match must have at least one SNI host");
      } else {
        m.getSniHostsList().forEach(sni -> sniHost(issues, sni, vs));
      }
      m.getDestinationSubnetsList().forEach(s -> issues.error(Addresses.ipSubnet(s)));
      if (m.getPort() != 0) {
        issues.error(Common.port(Integer.toUnsignedLong(m.getPort())));
      }
      issues.errors(Common.labels(m.getSourceLabelsMap()));
      Common.gatewayNames(issues, m.getGatewaysList(), false);
    }
    if (tls.getRouteCount() == 0) {
      issues.error("TLS route is required");
    }
    routeDestinations(issues, tls.getRouteList(), gatewaySemantics);
  }

  private static void sniHost(Issues issues, String sni, VirtualService vs) {
    boolean gateway = !vs.getGatewaysList().contains(MESH_GATEWAY);
    Optional<String> err = gateway
        ? HostNames.wildcardDomainForGatewayVirtualService(true, sni)
        : HostNames.wildcardDomain(sni);
    if (err.isPresent()) {
      if (Addresses.isIp(sni)) {
        issues.warn("using an IP address (" + q(sni) + ") goes against SNI spec and most clients do not support this");
      } else {
        issues.error(err.get());
      }
      return;
    }
    for (String host : vs.getHostsList()) {
      if (HostNames.subsetOf(sni, host)) {
        return;
      }
    }
    issues.error("SNI host " + q(sni) + " is not a compatible subset of any of the virtual service hosts: ["
        + String.join(", ", vs.getHostsList()) + "]");
  }

  private static void tcpRoute(Issues issues, TCPRoute tcp, boolean gatewaySemantics) {
    for (L4MatchAttributes m : tcp.getMatchList()) {
      m.getDestinationSubnetsList().forEach(s -> issues.error(Addresses.ipSubnet(s)));
      if (m.getPort() != 0) {
        issues.error(Common.port(Integer.toUnsignedLong(m.getPort())));
      }
      issues.errors(Common.labels(m.getSourceLabelsMap()));
      Common.gatewayNames(issues, m.getGatewaysList(), false);
    }
    if (tcp.getRouteCount() == 0) {
      issues.error("TCP route is required");
    }
    routeDestinations(issues, tcp.getRouteList(), gatewaySemantics);
  }

  private static void routeDestinations(Issues issues, List<RouteDestination> routes, boolean gatewaySemantics) {
    long total = 0;
    for (RouteDestination d : routes) {
      if (!d.hasDestination()) {
        issues.error("destination is required");
      } else if (!gatewaySemantics) {
        HttpRouteChecks.destination(issues, d.getDestination());
      }
      HttpRouteChecks.weight(issues, d.getWeight());
      total += d.getWeight();
    }
    HttpRouteChecks.totalWeight(issues, routes.size(), total);
  }

  /** Go's {@code %v} of a string slice. */
  private static String goList(List<String> l) {
    return "[" + String.join(" ", l) + "]";
  }
}
