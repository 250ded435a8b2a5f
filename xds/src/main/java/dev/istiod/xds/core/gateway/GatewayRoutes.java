package dev.istiod.xds.core.gateway;

import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import dev.istiod.api.networking.v1alpha3.HTTPMirrorPolicy;
import dev.istiod.api.networking.v1alpha3.HTTPRoute;
import dev.istiod.api.networking.v1alpha3.HTTPRouteDestination;
import dev.istiod.api.networking.v1alpha3.Server;
import dev.istiod.api.networking.v1alpha3.VirtualService;
import dev.istiod.model.Config;
import dev.istiod.model.Service;
import dev.istiod.model.push.Hosts;
import dev.istiod.xds.core.EnvoyNames;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.gateway.MergedGateway.BoundServer;
import dev.istiod.xds.core.route.HttpRouteTranslator;
import dev.istiod.xds.core.route.RouteScope;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gateway route configuration, as upstream's {@code buildGatewayHTTPRouteConfig}: for each
 * server the name serves, the VirtualServices bound to the server's Gateway whose hosts intersect
 * the server's hosts (a server host {@code ns/h} only admits VirtualServices of {@code ns}). Each
 * intersecting host gets a virtual host {@code <host>:<port>} with the VirtualService's routes,
 * translated for that gateway; a host claimed by several VirtualServices gets their routes in
 * order. {@code httpsRedirect} servers require TLS on every host. Virtual hosts with the very same
 * routes are collapsed into one with several domains, and with no virtual host at all a
 * {@code blackhole:<port>} host answers every request with 404.
 */
public final class GatewayRoutes {
  private static final Logger log = LoggerFactory.getLogger(GatewayRoutes.class);
  /** Direct responses up to 1 MiB (upstream's {@code DefaultMaxDirectResponseBodySizeBytes}). */
  static final int MAX_DIRECT_RESPONSE_BODY = 1024 * 1024;

  /**
   * A virtual host being assembled.
   *
   * @param sources the (gateway, VirtualService) pairs whose routes it holds, in order: two hosts
   *     with equal sources hold identical routes and may be collapsed
   */
  private record Draft(String host, int port, List<Route> routes, List<String> sources, boolean requireTls) {
    Draft with(List<Route> more, String source, boolean tls) {
      List<Route> r = new ArrayList<>(routes);
      r.addAll(more);
      List<String> s = new ArrayList<>(sources);
      s.add(source);
      return new Draft(host, port, r, s, requireTls || tls);
    }

    Draft requiringTls() {
      return new Draft(host, port, routes, sources, true);
    }
  }

  private final GatewayInputs gw;
  private final ProxyInputs in;

  public GatewayRoutes(GatewayInputs gw) {
    this.gw = gw;
    this.in = gw.in();
  }

  /** The route configuration {@code routeName}; empty (no virtual hosts) for a name no server has. */
  public RouteConfiguration build(String routeName) {
    RouteConfiguration.Builder out = RouteConfiguration.newBuilder().setName(routeName)
        .setValidateClusters(BoolValue.of(false));
    Optional<List<BoundServer>> servers = gw.merged().serversForRoute(routeName);
    if (servers.isEmpty()) {
      // Envoy still asks for routes of a listener that is draining after its Gateway was deleted.
      log.debug("{}: no gateway server for route configuration {}", in.proxy().id(), routeName);
      return out.build();
    }
    Map<String, Draft> drafts = new LinkedHashMap<>();
    Map<String, List<Route>> translated = new HashMap<>();
    for (BoundServer b : servers.get()) {
      addVirtualServices(b, drafts, translated);
      addRedirectOnlyHosts(b, drafts);
    }
    List<VirtualHost> vhosts;
    if (drafts.isEmpty()) {
      int port = servers.get().get(0).port();
      vhosts = List.of(VirtualHost.newBuilder().setName(EnvoyNames.gatewayBlackHoleVirtualHost(port)).addDomains("*").build());
    } else {
      vhosts = collapse(drafts).stream().sorted(Comparator.comparing(VirtualHost::getName)).toList();
    }
    return out.addAllVirtualHosts(vhosts)
        .setIgnorePortInHostMatching(true)
        .setMaxDirectResponseBodySizeBytes(UInt32Value.of(MAX_DIRECT_RESPONSE_BODY))
        .build();
  }

  private void addVirtualServices(BoundServer b, Map<String, Draft> drafts, Map<String, List<Route>> translated) {
    Server s = b.server();
    boolean redirect = s.getTls().getHttpsRedirect();
    for (Config vs : in.push().virtualServices(in.proxy().configNamespace(), b.gatewayName())) {
      List<String> hosts = intersection(serverHostsFor(s, vs.namespace()), vs.spec(VirtualService.class).getHostsList());
      if (hosts.isEmpty()) {
        continue;
      }
      String source = b.gatewayName() + "|" + vs.namespace() + "/" + vs.name();
      List<Route> routes = translated.computeIfAbsent(source, k -> translate(vs, b));
      for (String h : hosts) {
        String host = h.toLowerCase(Locale.ROOT);
        Draft existing = drafts.get(host);
        drafts.put(host, existing != null ? existing.with(routes, source, redirect)
            : new Draft(host, b.port(), List.copyOf(routes), List.of(source), redirect));
      }
    }
  }

  /** With {@code httpsRedirect}, hosts no VirtualService claims still redirect to HTTPS. */
  private static void addRedirectOnlyHosts(BoundServer b, Map<String, Draft> drafts) {
    if (!b.server().getTls().getHttpsRedirect()) {
      return;
    }
    for (String h : b.server().getHostsList()) {
      // Upstream uses the host as written; a namespace qualifier is no valid domain, so drop it.
      String host = h.substring(h.indexOf('/') + 1).toLowerCase(Locale.ROOT);
      Draft existing = drafts.get(host);
      drafts.put(host, existing != null ? existing.requiringTls()
          : new Draft(host, b.port(), List.of(), List.of(), true));
    }
  }

  /** The VirtualService's routes for this gateway and port, via the shared HTTP route translation. */
  private List<Route> translate(Config vs, BoundServer b) {
    Map<String, Optional<Service>> services = servicesFor(vs);
    try {
      // Upstream's RouteOptions.IsTLS is "the server has a tls block", even one that only redirects.
      RouteScope scope = new RouteScope(b.port(), Set.of(b.gatewayName()),
          b.server().hasTls() ? RouteScope.Transport.TLS : RouteScope.Transport.PLAINTEXT);
      return HttpRouteTranslator.translate(in, vs, scope, h -> services.computeIfAbsent(h, k -> in.scope().service(k)));
    } catch (RuntimeException e) {
      // Its hosts get no routes; every other VirtualService keeps flowing.
      log.error("{}: skipping VirtualService {} on gateway {}: {}", in.proxy().id(), vs.key(), b.gatewayName(),
          e.toString(), e);
      return List.of();
    }
  }

  /**
   * Upstream's {@code buildNameToServiceMapForHTTPRoutes}: a destination host resolves to the
   * service of that name in the VirtualService's namespace if the proxy may see it, else to the
   * one the proxy sees.
   */
  private Map<String, Optional<Service>> servicesFor(Config vs) {
    Map<String, Optional<Service>> out = new HashMap<>();
    for (HTTPRoute http : vs.spec(VirtualService.class).getHttpList()) {
      List<String> hosts = new ArrayList<>();
      if (http.hasMirror()) {
        hosts.add(http.getMirror().getHost());
      }
      http.getMirrorsList().stream().filter(HTTPMirrorPolicy::hasDestination).forEach(m -> hosts.add(m.getDestination().getHost()));
      http.getRouteList().stream().filter(HTTPRouteDestination::hasDestination).forEach(d -> hosts.add(d.getDestination().getHost()));
      for (String h : hosts) {
        out.computeIfAbsent(h, k -> in.push().servicesVisibleTo(in.proxy().configNamespace()).stream()
            .filter(s -> s.hostname().equals(k) && s.namespace().equals(vs.namespace())).findFirst()
            .or(() -> in.scope().service(k)));
      }
    }
    return out;
  }

  /** Upstream's {@code host.NamesForNamespace}: hosts of other namespaces are left out, qualifiers stripped. */
  static List<String> serverHostsFor(Server s, String namespace) {
    List<String> out = new ArrayList<>();
    for (String h : s.getHostsList()) {
      int slash = h.indexOf('/');
      if (slash < 0) {
        out.add(h);
      } else if (h.substring(0, slash).equals(namespace) || h.substring(0, slash).equals("*")) {
        out.add(h.substring(slash + 1));
      }
    }
    return out;
  }

  /** Upstream's {@code Names.Intersection}: for each matching pair, the narrower of the two. */
  static List<String> intersection(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>();
    for (String x : a) {
      for (String y : b) {
        String narrower = Hosts.subsetOf(x, y) ? x : Hosts.subsetOf(y, x) ? y : null;
        if (narrower != null && !out.contains(narrower)) {
          out.add(narrower);
        }
      }
    }
    return out;
  }

  /**
   * Upstream's {@code collapseDuplicateRoutes}: hosts (most specific first) whose routes came from
   * the same VirtualServices share one virtual host, named after the first of them.
   */
  private static List<VirtualHost> collapse(Map<String, Draft> drafts) {
    List<String> hosts = new ArrayList<>(drafts.keySet());
    hosts.sort((x, y) -> x.equals(y) ? 0 : Hosts.moreSpecific(x, y) ? -1 : 1);
    Map<String, VirtualHost.Builder> byRoutes = new LinkedHashMap<>();
    for (String h : hosts) {
      Draft d = drafts.get(h);
      String key = d.sources() + "|" + d.requireTls();
      VirtualHost.Builder same = byRoutes.get(key);
      if (same != null) {
        same.addDomains(h);
        continue;
      }
      VirtualHost.Builder v = VirtualHost.newBuilder()
          .setName(EnvoyNames.hostPort(h, d.port()))
          .addDomains(h)
          .addAllRoutes(HttpRouteTranslator.catchAllLast(d.routes()))
          .setIncludeRequestAttemptCount(true);
      if (d.requireTls()) {
        v.setRequireTls(VirtualHost.TlsRequirementType.ALL);
      }
      byRoutes.put(key, v);
    }
    return byRoutes.values().stream().map(VirtualHost.Builder::build).toList();
  }
}
