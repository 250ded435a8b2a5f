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
 * A VirtualService's HTTP routes as Envoy routes for one listener port, as upstream's
 * {@code BuildHTTPRoutesForVirtualService}: one Envoy route per match condition, in order,
 * skipping matches for another port or another source workload, and stopping after the first
 * catch-all. The route's action is filled by {@link #CONTRIBUTORS}.
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
   * The features of a route, in order. Issue 3 inserts rewrite, mirror and header manipulation
   * after {@code Destinations}, and fault, CORS and hash policy after {@code Retries}.
   */
  public static final List<RouteContributor> CONTRIBUTORS =
      List.of(DirectAnswers.CONTRIBUTOR, Destinations.CONTRIBUTOR, TIMEOUT, Retries.CONTRIBUTOR, DECORATOR);

  private HttpRouteTranslator() {}

  /**
   * The routes of {@code virtualService} on {@code listenerPort} for a proxy bound to
   * {@code gateways}; empty when no route applies.
   */
  public static List<Route> translate(ProxyInputs in, Config virtualService, int listenerPort, Set<String> gateways,
      Function<String, Optional<Service>> services) {
    VirtualService vs = virtualService.spec(VirtualService.class);
    List<Route> out = new ArrayList<>();
    for (HTTPRoute http : vs.getHttpList()) {
      boolean catchAll = false;
      if (http.getMatchCount() == 0) {
        translate(in, virtualService, http, null, listenerPort, gateways, services).ifPresent(out::add);
        catchAll = true;
      } else {
        for (HTTPMatchRequest match : http.getMatchList()) {
          Optional<Route> r = translate(in, virtualService, http, match, listenerPort, gateways, services);
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
      int listenerPort, Set<String> gateways, Function<String, Optional<Service>> services) {
    if (match != null && match.getPort() != 0 && match.getPort() != listenerPort) {
      return Optional.empty();
    }
    if (!sourceMatches(match, in.proxy(), gateways)) {
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
    RouteContributor.Context ctx = new RouteContributor.Context(in, vs, http, match, listenerPort, services);
    for (RouteContributor c : CONTRIBUTORS) {
      c.contribute(ctx, route);
    }
    if (route.getActionCase() == Route.ActionCase.ACTION_NOT_SET) {
      log.warn("{}/{}: HTTP route {} has no destination, redirect or direct response; skipped", vs.namespace(),
          vs.name(), name);
      return Optional.empty();
    }
    return Optional.of(route.build());
  }

  /** Upstream's {@code sourceMatchHTTP}: gateway names, else source labels and namespace. */
  static boolean sourceMatches(HTTPMatchRequest match, Proxy proxy, Set<String> gateways) {
    if (match == null) {
      return true;
    }
    if (match.getGatewaysCount() > 0) {
      return match.getGatewaysList().stream().anyMatch(gateways::contains);
    }
    if (proxy.labels().entrySet().containsAll(match.getSourceLabelsMap().entrySet())) {
      return match.getSourceNamespace().isEmpty() || match.getSourceNamespace().equals(proxy.configNamespace());
    }
    return false;
  }

  static String operationPath(RouteMatch m) {
    return switch (m.getPathSpecifierCase()) {
      case PREFIX -> m.getPrefix() + "*";
      case PATH -> m.getPath();
      case SAFE_REGEX -> m.getSafeRegex().getRegex();
      default -> "/*";
    };
  }
}
