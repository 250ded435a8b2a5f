package dev.istiod.xds.core.listener;

import dev.istiod.xds.core.route.OutboundRoutes;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import java.util.Optional;

/**
 * Route configurations {@code "<host>:<port>"} of sniffed listeners: a service of undeclared
 * protocol on its own address ({@code <VIP>_<port>}) gets a route configuration with only its own
 * virtual host, matching every authority, as upstream's {@code getVirtualHostsForSniffedServicePort}.
 * It is cut out of the port's shared configuration, so the two never disagree; there is no
 * catch-all virtual host (traffic on that listener is for that service).
 */
public final class SniffedRoutes {
  /** The two parts of a sniffed route configuration name. */
  public record Name(String host, int port) {}

  private SniffedRoutes() {}

  /** Parses {@code "<host>:<port>"}; empty for the shared {@code "<port>"} names and anything else. */
  public static Optional<Name> parse(String routeName) {
    int colon = routeName.lastIndexOf(':');
    if (colon <= 0 || routeName.startsWith("unix://")) {
      return Optional.empty();
    }
    try {
      int port = Integer.parseInt(routeName.substring(colon + 1));
      return port > 0 && port <= 65535 ? Optional.of(new Name(routeName.substring(0, colon), port)) : Optional.empty();
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** The sniffed configuration {@code routeName} for the port configuration {@code routes} builds. */
  public static RouteConfiguration build(OutboundRoutes routes, String routeName, Name name) {
    RouteConfiguration shared = routes.build(Integer.toString(name.port()));
    RouteConfiguration.Builder out = shared.toBuilder().setName(routeName).clearVirtualHosts();
    String hostPort = dev.istiod.xds.core.EnvoyNames.sniffedRouteConfig(name.host(), name.port());
    for (VirtualHost vh : shared.getVirtualHostsList()) {
      if (vh.getDomainsList().contains(hostPort) || vh.getDomainsList().contains(name.host())) {
        out.addVirtualHosts(vh.toBuilder().clearDomains().addDomains("*"));
        break;
      }
    }
    return out.build();
  }
}
