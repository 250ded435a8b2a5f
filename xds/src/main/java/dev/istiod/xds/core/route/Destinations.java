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
 * Where a route forwards, as upstream's {@code processDestination} and
 * {@code processWeightedDestination}: one cluster, or weighted clusters when the route lists
 * several destinations (zero weights are dropped; weights are relative). A destination's own
 * {@code headers} go after the route's on a single destination, or onto its entry of the split;
 * its authority rewrite applies unless the route already rewrites the host. DestinationRule
 * consistent hashing adds one hash policy per destination that uses it.
 */
final class Destinations {
  static final RouteContributor CONTRIBUTOR = (ctx, route) -> {
    if (ctx.answersDirectly()) {
      return;
    }
    RouteAction.Builder action = route.getRouteBuilder();
    if (ctx.http().getRouteCount() == 1) {
      single(ctx, route, action, ctx.http().getRoute(0));
      return;
    }
    WeightedCluster.Builder weighted = WeightedCluster.newBuilder();
    for (HTTPRouteDestination d : ctx.http().getRouteList()) {
      if (d.getWeight() == 0) {
        continue;
      }
      WeightedCluster.ClusterWeight.Builder entry = WeightedCluster.ClusterWeight.newBuilder()
          .setName(cluster(d.getDestination(), ctx))
          .setWeight(UInt32Value.of(d.getWeight()));
      if (d.hasHeaders()) {
        HeaderOperations.of(d.getHeaders()).applyTo(entry);
      }
      weighted.addClusters(entry);
      addHashPolicy(ctx, action, d);
    }
    if (weighted.getClustersCount() == 0) {
      route.clearAction(); // all weights zero: Envoy rejects an empty split, the translator drops the route
      return;
    }
    action.setWeightedClusters(weighted);
  };

  private Destinations() {}

  private static void single(RouteContributor.Context ctx, Route.Builder route, RouteAction.Builder action,
      HTTPRouteDestination d) {
    action.setCluster(cluster(d.getDestination(), ctx));
    if (d.hasHeaders()) {
      HeaderOperations ops = HeaderOperations.of(d.getHeaders());
      ops.appendTo(route);
      // A route-level rewrite wins, so one destination and a split of several behave alike.
      if (!ops.authority().isEmpty()
          && action.getHostRewriteSpecifierCase() == RouteAction.HostRewriteSpecifierCase.HOSTREWRITESPECIFIER_NOT_SET) {
        action.setHostRewriteLiteral(ops.authority());
      }
    }
    addHashPolicy(ctx, action, d);
  }

  private static void addHashPolicy(RouteContributor.Context ctx, RouteAction.Builder action, HTTPRouteDestination d) {
    HashPolicies.forDestination(ctx.inputs(), d.getDestination()).flatMap(HashPolicies::toHashPolicy)
        .ifPresent(action::addHashPolicy);
  }

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
