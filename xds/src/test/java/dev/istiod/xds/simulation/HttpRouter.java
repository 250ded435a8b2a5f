package dev.istiod.xds.simulation;

import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster.ClusterWeight;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.CodecType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What an HTTP connection manager does with a request: the route configuration (inline or RDS),
 * the Host rewrites it applies before routing ({@code strip_trailing_host_dot},
 * {@code strip_any_host_port}, {@code strip_matching_host_port}), path normalisation, then the
 * virtual host, {@code require_tls}, the first matching route and its action.
 */
final class HttpRouter {
  private HttpRouter() {}

  /** Fills the HTTP steps into {@code out}; returns the failure (NONE when an action was reached). */
  static Failure route(HttpConnectionManager hcm, Call call, Connection conn, boolean tlsTerminated,
      Map<String, RouteConfiguration> routes, ResultBuilder out) {
    if (hcm.getCodecType() == CodecType.HTTP1 && call.protocol() == Call.Protocol.HTTP2
        || hcm.getCodecType() == CodecType.HTTP2 && call.protocol() == Call.Protocol.HTTP) {
      out.trace.add("codec " + hcm.getCodecType() + " cannot decode " + call.protocol());
      return Failure.PROTOCOL_ERROR;
    }
    Optional<RouteConfiguration> rc = routeConfig(hcm, routes, out);
    if (rc.isEmpty()) {
      return Failure.NO_ROUTE_CONFIG;
    }
    Request request = request(hcm, call, conn, tlsTerminated);
    Optional<VirtualHost> vh = VirtualHostSelector.select(rc.get(), request.authority());
    if (vh.isEmpty()) {
      out.trace.add("no virtual host of " + out.routeConfig + " serves " + request.authority());
      return Failure.NO_VIRTUAL_HOST;
    }
    out.virtualHost = vh.get().getName();
    out.trace.add("virtual host " + out.virtualHost + " serves " + request.authority());
    boolean tlsRequired = switch (vh.get().getRequireTls()) {
      case ALL -> true;
      case EXTERNAL_ONLY -> !request.header("x-envoy-internal").map("true"::equals).orElse(false);
      default -> false;
    };
    if (tlsRequired && !tlsTerminated) {
      out.action = new Action.Redirect(301, "https://" + request.authority() + request.path());
      out.trace.add("virtual host requires TLS: redirect to https");
      return Failure.NONE;
    }
    int index = RouteSelector.firstMatch(vh.get(), request);
    if (index < 0) {
      out.trace.add("no route of " + out.virtualHost + " matches " + request.method() + " " + request.path());
      return Failure.NO_ROUTE;
    }
    Route route = vh.get().getRoutes(index);
    out.route = route.getName();
    out.trace.add("route [" + index + "] " + (route.getName().isEmpty() ? "(unnamed)" : route.getName()) + " matches");
    out.action = action(route, request);
    return Failure.NONE;
  }

  private static Optional<RouteConfiguration> routeConfig(HttpConnectionManager hcm,
      Map<String, RouteConfiguration> routes, ResultBuilder out) {
    if (hcm.hasRouteConfig()) {
      out.routeConfig = hcm.getRouteConfig().getName();
      out.trace.add("inline route configuration " + out.routeConfig);
      return Optional.of(hcm.getRouteConfig());
    }
    if (hcm.hasRds()) {
      out.routeConfig = hcm.getRds().getRouteConfigName();
      RouteConfiguration rc = routes.get(out.routeConfig);
      out.trace.add(rc == null ? "RDS route configuration " + out.routeConfig + " was not sent"
          : "RDS route configuration " + out.routeConfig);
      return Optional.ofNullable(rc);
    }
    throw new UnsupportedOperationException("the simulator does not model scoped routes (" + hcm.getStatPrefix() + ")");
  }

  private static Request request(HttpConnectionManager hcm, Call call, Connection conn, boolean tls) {
    String host = call.authority();
    if (hcm.getStripTrailingHostDot()) {
      String bare = HostPort.withoutPort(host);
      if (bare.endsWith(".")) {
        host = bare.substring(0, bare.length() - 1) + host.substring(bare.length());
      }
    }
    if (hcm.getStripAnyHostPort() || hcm.getStripMatchingHostPort() && HostPort.port(host) == conn.destinationPort()) {
      host = HostPort.withoutPort(host);
    }
    boolean normalize = hcm.hasNormalizePath() && hcm.getNormalizePath().getValue();
    String path = Request.normalize(call.path(), normalize, hcm.getMergeSlashes());
    return new Request(host, path, call.method(), tls ? "https" : "http", call.headers(), tls,
        call.transport() == Call.Transport.MUTUAL_TLS);
  }

  private static Action action(Route route, Request request) {
    return switch (route.getActionCase()) {
      case ROUTE -> forward(route.getRoute(), request);
      case REDIRECT -> Redirects.of(route.getRedirect(), route.getMatch(), request);
      case DIRECT_RESPONSE -> new Action.DirectResponse(route.getDirectResponse().getStatus(),
          body(route.getDirectResponse().getBody()));
      case FILTER_ACTION, NON_FORWARDING_ACTION, ACTION_NOT_SET ->
          throw new UnsupportedOperationException("the simulator does not model route action " + route.getActionCase());
    };
  }

  private static Action forward(RouteAction r, Request request) {
    return switch (r.getClusterSpecifierCase()) {
      case CLUSTER -> new Action.Forward(r.getCluster());
      case CLUSTER_HEADER -> new Action.Forward(request.header(r.getClusterHeader()).orElse(""));
      case WEIGHTED_CLUSTERS -> {
        List<Action.WeightedCluster> split = new ArrayList<>();
        for (ClusterWeight w : r.getWeightedClusters().getClustersList()) {
          split.add(new Action.WeightedCluster(w.getName(), w.hasWeight() ? w.getWeight().getValue() : 0));
        }
        yield new Action.Split(split);
      }
      default -> throw new UnsupportedOperationException("the simulator does not model cluster specifier "
          + r.getClusterSpecifierCase());
    };
  }

  private static String body(DataSource body) {
    return switch (body.getSpecifierCase()) {
      case INLINE_STRING -> body.getInlineString();
      case INLINE_BYTES -> body.getInlineBytes().toStringUtf8();
      default -> "";
    };
  }
}
