package dev.istiod.xds.grpcgen;

import com.google.protobuf.UInt32Value;
import dev.istiod.api.networking.v1alpha3.Destination;
import dev.istiod.api.networking.v1alpha3.HTTPMatchRequest;
import dev.istiod.api.networking.v1alpha3.HTTPRoute;
import dev.istiod.api.networking.v1alpha3.HTTPRouteDestination;
import dev.istiod.api.networking.v1alpha3.VirtualService;
import dev.istiod.model.Config;
import dev.istiod.model.Proxy;
import dev.istiod.model.Service;
import dev.istiod.model.push.VirtualServiceIndex;
import dev.istiod.xds.core.EnvoyNames;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the RouteConfiguration a proxyless gRPC client fetches for one service port: one virtual
 * host whose domains include the authority the client dialled, with the service's VirtualService
 * HTTP routes, or a single default route to the service's cluster when none applies.
 *
 * <p>Only route actions gRPC implements are emitted. A VirtualService route that redirects,
 * answers directly or delegates is left out with a warning, because gRPC rejects the whole
 * RouteConfiguration over one such route and the client would lose every other route with it.
 */
final class GrpcRouteBuilder {

  private static final Logger log = LoggerFactory.getLogger(GrpcRouteBuilder.class);

  /**
   * What the builder needs to know besides the VirtualServices.
   *
   * @param services resolves a destination host to its service (for the port when a destination
   *     names none), empty when unknown
   * @param domainSuffix the cluster DNS suffix, {@code cluster.local} by default
   */
  record Context(Proxy proxy, Function<String, Optional<Service>> services, String domainSuffix) {}

  private GrpcRouteBuilder() {}

  /**
   * Builds the route configuration {@code routeName} for {@code service}'s {@code port}.
   *
   * @param virtualServices the VirtualServices that bind this host for the proxy, in precedence order
   */
  static RouteConfiguration build(String routeName, Service service, int port, List<Config> virtualServices,
      Context ctx) {
    String defaultCluster = EnvoyNames.outboundCluster(port, "", service.hostname());
    List<Route> routes = new ArrayList<>();
    for (Config vs : virtualServices) {
      List<Route> fromVs = virtualServiceRoutes(vs, port, ctx);
      if (!fromVs.isEmpty()) {
        routes.addAll(fromVs);
        break; // as upstream: the first VirtualService that yields routes for the host wins
      }
    }
    if (routes.isEmpty()) {
      routes.add(Route.newBuilder()
          .setName(EnvoyNames.DEFAULT_ROUTE)
          .setMatch(GrpcRouteMatches.catchAll())
          .setRoute(RouteAction.newBuilder().setCluster(defaultCluster))
          .build());
    }
    VirtualHost vhost = VirtualHost.newBuilder()
        .setName(EnvoyNames.hostPort(service.hostname(), port))
        .addAllDomains(domains(service, port, ctx))
        .addAllRoutes(routes)
        .build();
    return RouteConfiguration.newBuilder().setName(routeName).addVirtualHosts(vhost).build();
  }

  /**
   * The names a client may dial the service by: the FQDN, the Kubernetes short forms
   * ({@code name.ns.svc}, {@code name.ns}, and {@code name} from the same namespace) and the VIPs,
   * each bare and with {@code :port}. gRPC matches the dialled authority against these.
   */
  static List<String> domains(Service service, int port, Context ctx) {
    Set<String> hosts = new LinkedHashSet<>();
    String fqdn = service.hostname();
    hosts.add(fqdn);
    String kubeSuffix = ".svc." + ctx.domainSuffix();
    if (fqdn.endsWith(kubeSuffix)) {
      String nameNs = fqdn.substring(0, fqdn.length() - kubeSuffix.length());
      int dot = nameNs.indexOf('.');
      if (dot > 0) {
        hosts.add(nameNs + ".svc");
        hosts.add(nameNs);
        if (nameNs.substring(dot + 1).equals(ctx.proxy().configNamespace())) {
          hosts.add(nameNs.substring(0, dot));
        }
      }
    }
    hosts.addAll(service.addresses());
    List<String> out = new ArrayList<>();
    for (String h : hosts) {
      out.add(h);
      out.add(HostPort.join(h, port));
    }
    return out;
  }

  private static List<Route> virtualServiceRoutes(Config config, int port, Context ctx) {
    VirtualService vs = config.spec(VirtualService.class);
    List<Route> out = new ArrayList<>();
    for (HTTPRoute http : vs.getHttpList()) {
      List<HTTPMatchRequest> matches = http.getMatchCount() == 0 ? Collections.singletonList(null)
          : http.getMatchList();
      boolean catchAll = false;
      for (HTTPMatchRequest match : matches) {
        Optional<Route> r = translate(config, http, match, port, ctx);
        if (r.isPresent()) {
          out.add(r.get());
          if (GrpcRouteMatches.isCatchAll(r.get().getMatch())) {
            catchAll = true;
            break; // nothing after a catch-all route can match
          }
        }
      }
      if (catchAll) {
        break;
      }
    }
    return out;
  }

  private static Optional<Route> translate(Config vs, HTTPRoute http, HTTPMatchRequest match, int port, Context ctx) {
    if (match != null && match.getPort() != 0 && match.getPort() != port) {
      return Optional.empty();
    }
    if (!appliesToProxy(match, ctx.proxy())) {
      return Optional.empty();
    }
    if (http.hasRedirect() || http.hasDirectResponse() || http.hasDelegate() || http.getRouteCount() == 0) {
      log.warn("VirtualService {}/{} ({}): route '{}' uses redirect, direct response or delegation, "
          + "which proxyless gRPC rejects; leaving it out for {}", vs.namespace(), vs.name(),
          vs.meta().origin(), http.getName(), ctx.proxy().id());
      return Optional.empty();
    }
    Optional<RouteMatch> routeMatch = GrpcRouteMatches.translate(match);
    if (routeMatch.isEmpty()) {
      log.warn("VirtualService {}/{}: a match of route '{}' uses JWT claims, which proxyless gRPC cannot "
          + "evaluate; leaving it out", vs.namespace(), vs.name(), http.getName());
      return Optional.empty();
    }
    String name = http.getName();
    if (match != null && !match.getName().isEmpty()) {
      name = name + "." + match.getName();
    }
    Route.Builder route = Route.newBuilder().setMatch(routeMatch.get()).setRoute(action(http, port, ctx));
    if (!name.isEmpty()) {
      route.setName(name);
    }
    return Optional.of(route.build());
  }

  private static RouteAction action(HTTPRoute http, int port, Context ctx) {
    RouteAction.Builder action = RouteAction.newBuilder();
    if (http.hasTimeout()) {
      // gRPC reads only max_stream_duration (upstream sets it for proxyless in place of timeout).
      action.setTimeout(http.getTimeout());
      action.setMaxStreamDuration(RouteAction.MaxStreamDuration.newBuilder().setMaxStreamDuration(http.getTimeout()));
    }
    List<HTTPRouteDestination> dests = http.getRouteList();
    if (dests.size() == 1) {
      return action.setCluster(cluster(dests.get(0).getDestination(), port, ctx)).build();
    }
    WeightedCluster.Builder weighted = WeightedCluster.newBuilder();
    for (HTTPRouteDestination d : dests) {
      if (d.getWeight() == 0) {
        continue; // as upstream: zero-weight destinations are dropped when there are others
      }
      weighted.addClusters(WeightedCluster.ClusterWeight.newBuilder()
          .setName(cluster(d.getDestination(), port, ctx))
          .setWeight(UInt32Value.of(d.getWeight())));
    }
    return action.setWeightedClusters(weighted).build();
  }

  /**
   * The cluster a destination names: its port, else the destination service's only port, else
   * the port being routed.
   */
  private static String cluster(Destination d, int listenerPort, Context ctx) {
    String host = d.getHost(); // already fully qualified by the push context's VirtualService index
    int port = listenerPort;
    if (d.hasPort() && d.getPort().getNumber() != 0) {
      port = d.getPort().getNumber();
    } else {
      Optional<Service> svc = ctx.services().apply(host);
      if (svc.isPresent() && svc.get().ports().size() == 1) {
        port = svc.get().ports().get(0).port();
      }
    }
    return EnvoyNames.outboundCluster(port, d.getSubset(), host);
  }

  /** Match conditions on the client itself: {@code gateways}, {@code sourceLabels}, {@code sourceNamespace}. */
  private static boolean appliesToProxy(HTTPMatchRequest match, Proxy proxy) {
    if (match == null) {
      return true;
    }
    if (match.getGatewaysCount() > 0) {
      return match.getGatewaysList().contains(VirtualServiceIndex.MESH_GATEWAY);
    }
    Map<String, String> labels = proxy.labels();
    boolean labelsMatch = match.getSourceLabelsMap().entrySet().stream()
        .allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    return labelsMatch
        && (match.getSourceNamespace().isEmpty() || match.getSourceNamespace().equals(proxy.configNamespace()));
  }
}
