package dev.istiod.xds.core.route;

import com.google.protobuf.Duration;
import dev.istiod.api.networking.v1alpha3.HTTPMatchRequest;
import dev.istiod.api.networking.v1alpha3.HTTPRoute;
import dev.istiod.api.networking.v1alpha3.VirtualService;
import dev.istiod.model.Config;
import dev.istiod.model.Proxy;
import dev.istiod.model.Service;
import dev.istiod.xds.core.ConfigMetadata;
import dev.istiod.xds.core.EnvoyNames;
import dev.istiod.xds.core.ProxyInputs;
import io.envoyproxy.envoy.config.route.v3.Decorator;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A VirtualService's HTTP routes as Envoy routes for one listener, as upstream's
 * {@code BuildHTTPRoutesForVirtualService}: one Envoy route per match condition, in order,
 * skipping matches for another port, another source workload or namespace, or other gateways,
 * and stopping after the first catch-all. Sidecars and gateways share it; a gateway passes its
 * own {@link RouteScope}. The route's fields are filled by {@link #CONTRIBUTORS}, then the route
 * is checked with {@link RouteValidation}: one Envoy would reject is dropped and reported, so the
 * rest of the configuration still reaches Envoy.
 */
public final class HttpRouteTranslator {
  private static final Logger log = LoggerFactory.getLogger(HttpRouteTranslator.class);
  static final Duration NO_TIMEOUT = Duration.getDefaultInstance();

  /** Istio disables Envoy's 15s default: no timeout unless the VirtualService sets one. */
  static final RouteContributor TIMEOUT = (ctx, route) -> {
    if (ctx.answersDirectly()) {
      return;
    }
    Duration timeout = ctx.http().hasTimeout() ? ctx.http().getTimeout() : NO_TIMEOUT;
    route.getRouteBuilder().setTimeout(timeout).setMaxGrpcTimeout(timeout);
  };

  /** Tracing operation name: {@code host:port/path*} for one destination, else the VirtualService's name. */
  static final RouteContributor DECORATOR = (ctx, route) -> {
    String path = operationPath(route.getMatch());
    String op = Destinations.singleCluster(route).flatMap(EnvoyNames::parseCluster)
        .map(k -> EnvoyNames.routeOperation(k.host(), k.port(), path))
        .orElse(EnvoyNames.routeOperation(ctx.virtualService().name(), ctx.listenerPort(), path));
    route.setDecorator(Decorator.newBuilder().setOperation(op));
  };

  /**
   * The features of a route, in upstream's order: the route's own header operations, then its
   * action (a redirect or direct response, else timeout, rewrite and host rewrite, mirrors,
   * destinations with their header operations and hash policies, retries), the tracing decorator,
   * and last the per-route configuration of the fault and CORS filters. Order matters where two
   * features touch one field: header operations of a single destination come after the route's,
   * and a destination's host rewrite applies only if the route set none.
   */
  public static final List<RouteContributor> CONTRIBUTORS = List.of(
      HeaderOperations.ROUTE_LEVEL,
      DirectAnswers.CONTRIBUTOR,
      TIMEOUT,
      Rewrites.CONTRIBUTOR,
      Mirrors.CONTRIBUTOR,
      Destinations.CONTRIBUTOR,
      Retries.CONTRIBUTOR,
      DECORATOR,
      Faults.CONTRIBUTOR,
      CorsPolicies.CONTRIBUTOR);

  private HttpRouteTranslator() {}

  /**
   * The routes of {@code virtualService} on {@code listenerPort} for a proxy bound to
   * {@code gateways}, on a plaintext listener; empty when no route applies.
   */
  public static List<Route> translate(ProxyInputs in, Config virtualService, int listenerPort, Set<String> gateways,
      Function<String, Optional<Service>> services) {
    return translate(in, virtualService, new RouteScope(listenerPort, gateways, RouteScope.Transport.PLAINTEXT), services);
  }

  /** The routes of {@code virtualService} for a listener described by {@code scope}; empty when none applies. */
  public static List<Route> translate(ProxyInputs in, Config virtualService, RouteScope scope,
      Function<String, Optional<Service>> services) {
    VirtualService vs = virtualService.spec(VirtualService.class);
    List<Route> out = new ArrayList<>();
    for (HTTPRoute http : vs.getHttpList()) {
      boolean catchAll = false;
      if (http.getMatchCount() == 0) {
        translate(in, virtualService, http, null, scope, services).ifPresent(out::add);
        catchAll = true;
      } else {
        for (HTTPMatchRequest match : http.getMatchList()) {
          Optional<Route> r = translate(in, virtualService, http, match, scope, services);
          if (r.isPresent()) {
            out.add(r.get());
            if (RouteMatches.isCatchAll(r.get().getMatch())) {
              catchAll = true;
              break;
            }
          }
        }
      }
      if (catchAll) {
        break;
      }
    }
    return out;
  }

  private static Optional<Route> translate(ProxyInputs in, Config vs, HTTPRoute http, HTTPMatchRequest match,
      RouteScope scope, Function<String, Optional<Service>> services) {
    if (match != null && match.getPort() != 0 && match.getPort() != scope.listenerPort()) {
      return Optional.empty();
    }
    if (!sourceMatches(match, in.proxy(), scope.gateways())) {
      return Optional.empty();
    }
    String name = http.getName();
    if (match != null && !match.getName().isEmpty()) {
      name = name + "." + match.getName();
    }
    Route.Builder route = Route.newBuilder()
        .setName(name)
        .setMatch(RouteMatches.translate(match))
        .setMetadata(ConfigMetadata.forConfig(vs));
    if (match != null && !match.getStatPrefix().isEmpty()) {
      route.setStatPrefix(match.getStatPrefix());
    }
    RouteContributor.Context ctx = new RouteContributor.Context(in, vs, http, match, scope, services);
    for (RouteContributor c : CONTRIBUTORS) {
      c.contribute(ctx, route);
    }
    if (route.getActionCase() == Route.ActionCase.ACTION_NOT_SET) {
      log.warn("{}/{}: HTTP route {} has no destination, redirect or direct response; skipped", vs.namespace(),
          vs.name(), name);
      return Optional.empty();
    }
    Route built = route.build();
    List<String> problems = RouteValidation.problems(built);
    if (!problems.isEmpty()) {
      log.warn("{}: VirtualService {}/{} HTTP route '{}' would be rejected by Envoy and is not sent: {}",
          in.proxy().id(), vs.namespace(), vs.name(), name, String.join("; ", problems));
      return Optional.empty();
    }
    return Optional.of(built);
  }

  /**
   * Upstream's {@code sourceMatchHTTP}: a match naming gateways applies only to those; otherwise
   * its source labels must be a subset of the proxy's, and its source namespace the proxy's.
   */
  static boolean sourceMatches(HTTPMatchRequest match, Proxy proxy, Set<String> gateways) {
    if (match == null) {
      return true;
    }
    if (match.getGatewaysCount() > 0) {
      return match.getGatewaysList().stream().anyMatch(gateways::contains);
    }
    if (proxy.labels().entrySet().containsAll(match.getSourceLabelsMap().entrySet())) {
      return match.getSourceNamespace().isEmpty() || match.getSourceNamespace().equals(sourceNamespace(proxy));
    }
    return false;
  }

  /** The namespace upstream compares {@code sourceNamespace} with: the node's NAMESPACE metadata. */
  public static String sourceNamespace(Proxy proxy) {
    String ns = proxy.metadata().namespace();
    return ns.isEmpty() ? proxy.configNamespace() : ns;
  }

  static String operationPath(RouteMatch m) {
    return switch (m.getPathSpecifierCase()) {
      case PREFIX -> m.getPrefix() + "*";
      case PATH -> m.getPath();
      case SAFE_REGEX -> m.getSafeRegex().getRegex();
      default -> "/*";
    };
  }

  /**
   * Upstream's {@code SortVHostRoutes}: catch-all routes moved to the end, the others kept in
   * order. Gateways concatenate the routes of every VirtualService for one host and need this so
   * that one VirtualService's catch-all does not hide the next one's specific routes.
   */
  public static List<Route> catchAllLast(List<Route> routes) {
    List<Route> out = new ArrayList<>(routes.stream().filter(r -> !RouteMatches.isCatchAll(r.getMatch())).toList());
    routes.stream().filter(r -> RouteMatches.isCatchAll(r.getMatch())).forEach(out::add);
    return out;
  }
}
