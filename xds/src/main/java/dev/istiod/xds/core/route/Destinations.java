package dev.istiod.xds.core.route;

import com.google.protobuf.UInt32Value;
import dev.istiod.api.networking.v1alpha3.Destination;
import dev.istiod.api.networking.v1alpha3.HTTPRouteDestination;
import dev.istiod.model.Service;
import dev.istiod.xds.core.EnvoyNames;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import java.util.Optional;

/**
 * Where a route forwards: one cluster, or weighted clusters when the route lists several
 * destinations (zero weights are dropped), each {@code outbound|port|subset|host}.
 */
final class Destinations {
  static final RouteContributor CONTRIBUTOR = (ctx, route) -> {
    if (ctx.answersDirectly()) {
      return;
    }
    RouteAction.Builder action = route.getRouteBuilder();
    if (ctx.http().getRouteCount() == 1) {
      action.setCluster(cluster(ctx.http().getRoute(0).getDestination(), ctx));
      return;
    }
    WeightedCluster.Builder weighted = WeightedCluster.newBuilder();
    for (HTTPRouteDestination d : ctx.http().getRouteList()) {
      if (d.getWeight() == 0) {
        continue;
      }
      weighted.addClusters(WeightedCluster.ClusterWeight.newBuilder()
          .setName(cluster(d.getDestination(), ctx))
          .setWeight(UInt32Value.of(d.getWeight())));
    }
    if (weighted.getClustersCount() == 0) {
      route.clearAction(); // all weights zero: Envoy rejects an empty split, the translator drops the route
      return;
    }
    action.setWeightedClusters(weighted);
  };

  private Destinations() {}

  /**
   * The cluster of a destination, as upstream's {@code GetDestinationCluster}: the destination's
   * port if given, else the service's only port, else the listener's port.
   */
  static String cluster(Destination d, RouteContributor.Context ctx) {
    Optional<Service> service = ctx.services().apply(d.getHost());
    int port = ctx.listenerPort();
    if (d.hasPort() && d.getPort().getNumber() != 0) {
      port = d.getPort().getNumber();
    } else if (service.isPresent() && service.get().ports().size() == 1) {
      port = service.get().ports().get(0).port();
    }
    return EnvoyNames.outboundCluster(port, d.getSubset(), d.getHost());
  }

  /** The single cluster of a route, if it forwards to exactly one. */
  static Optional<String> singleCluster(Route.Builder route) {
    return route.hasRoute() && route.getRoute().getClusterSpecifierCase() == RouteAction.ClusterSpecifierCase.CLUSTER
        ? Optional.of(route.getRoute().getCluster()) : Optional.empty();
  }
}
