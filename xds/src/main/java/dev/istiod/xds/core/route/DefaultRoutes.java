package dev.istiod.xds.core.route;

import com.google.protobuf.Duration;
import dev.istiod.api.networking.v1alpha3.Destination;
import dev.istiod.api.networking.v1alpha3.OutboundTrafficPolicy;
import dev.istiod.model.Protocol;
import dev.istiod.xds.core.EnvoyNames;
import dev.istiod.xds.core.ProxyInputs;
import io.envoyproxy.envoy.config.route.v3.Decorator;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;

/** Routes istiod generates without a VirtualService: per service, inbound, and the catch-all. */
public final class DefaultRoutes {
  private static final Duration NO_TIMEOUT = Duration.getDefaultInstance();

  private DefaultRoutes() {}

  /** The route of a service port without a VirtualService: its cluster, no timeout, default retries. */
  static Route outbound(ProxyInputs in, String host, int port) {
    RouteAction.Builder action = RouteAction.newBuilder()
        .setCluster(EnvoyNames.outboundCluster(port, "", host))
        .setTimeout(NO_TIMEOUT)
        .setMaxGrpcTimeout(NO_TIMEOUT);
    // Upstream keeps the previous-host retry predicate here even under consistent hashing.
    var retry = Retries.convert(in.mesh().hasDefaultHttpRetryPolicy() ? in.mesh().getDefaultHttpRetryPolicy() : null, false);
    if (retry != null) {
      action.setRetryPolicy(retry);
    }
    HashPolicies.forService(in, host, port).flatMap(HashPolicies::toHashPolicy).ifPresent(action::addHashPolicy);
    return Route.newBuilder()
        .setName(EnvoyNames.DEFAULT_ROUTE)
        .setMatch(RouteMatches.catchAll())
        .setDecorator(Decorator.newBuilder().setOperation(EnvoyNames.routeOperation(host, port, "/*")))
        .setRoute(action)
        .build();
  }

  /**
   * The single route of an inbound chain: to the inbound cluster without timeouts, retrying only
   * requests that never reached the application (except gRPC, whose streams break on that).
   */
  public static Route inbound(String cluster, String hostname, int port, Protocol protocol) {
    RouteAction.Builder action = RouteAction.newBuilder()
        .setCluster(cluster)
        .setTimeout(NO_TIMEOUT);
    action.getMaxStreamDurationBuilder().setMaxStreamDuration(NO_TIMEOUT).setGrpcTimeoutHeaderMax(NO_TIMEOUT);
    if (protocol != Protocol.GRPC && protocol != Protocol.GRPC_WEB) {
      action.setRetryPolicy(Retries.inboundPolicy());
    }
    return Route.newBuilder()
        .setName(EnvoyNames.DEFAULT_ROUTE)
        .setMatch(RouteMatches.catchAll())
        .setDecorator(Decorator.newBuilder().setOperation(EnvoyNames.routeOperation(hostname, port, "/*")))
        .setRoute(action)
        .build();
  }

  /**
   * The last virtual host of every outbound route configuration: {@code allow_any} forwards
   * unknown hosts to the original destination (or the Sidecar's egress proxy), {@code block_all}
   * answers 502 (REGISTRY_ONLY).
   */
  static VirtualHost catchAll(ProxyInputs in) {
    OutboundTrafficPolicy policy = in.scope().outboundTrafficPolicy();
    if (in.scope().allowAnyOutbound()) {
      String cluster = policy.hasEgressProxy() ? egressProxyCluster(policy.getEgressProxy()) : EnvoyNames.PASSTHROUGH_CLUSTER;
      return VirtualHost.newBuilder()
          .setName(EnvoyNames.ALLOW_ANY_VIRTUAL_HOST)
          .addDomains("*")
          .addRoutes(Route.newBuilder().setName(EnvoyNames.ALLOW_ANY_VIRTUAL_HOST).setMatch(RouteMatches.catchAll())
              .setRoute(RouteAction.newBuilder().setCluster(cluster).setTimeout(NO_TIMEOUT).setMaxGrpcTimeout(NO_TIMEOUT)))
          .setIncludeRequestAttemptCount(true)
          .build();
    }
    return VirtualHost.newBuilder()
        .setName(EnvoyNames.BLOCK_ALL_VIRTUAL_HOST)
        .addDomains("*")
        .addRoutes(Route.newBuilder().setName(EnvoyNames.BLOCK_ALL_VIRTUAL_HOST).setMatch(RouteMatches.catchAll())
            .setDirectResponse(DirectResponseAction.newBuilder().setStatus(502)))
        .setIncludeRequestAttemptCount(true)
        .build();
  }

  /** The cluster of a Sidecar's {@code egressProxy} destination. */
  public static String egressProxyCluster(Destination d) {
    return EnvoyNames.outboundCluster(d.getPort().getNumber(), d.getSubset(), d.getHost());
  }
}
