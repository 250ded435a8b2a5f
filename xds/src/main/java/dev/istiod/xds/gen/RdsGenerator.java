package dev.istiod.xds.gen;

import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsGenerator;
import dev.istiod.xds.XdsResource;
import dev.istiod.xds.cache.CacheKeys;
import dev.istiod.xds.cache.XdsCache;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.gateway.GatewayInputs;
import dev.istiod.xds.core.gateway.GatewayRoutes;
import dev.istiod.xds.core.listener.SniffedRoutes;
import dev.istiod.xds.core.route.OutboundRoutes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * RDS: one route configuration per subscribed name; sidecar names are listener ports
 * ({@code "80"}), or {@code "<host>:<port>"} for a sniffed service's own listener
 * ({@link SniffedRoutes}). Unknown names get an empty configuration, as upstream, so Envoy's
 * listener warming completes. Gateways' names are per server ({@code http.<port>},
 * {@code https.<port>.<portName>.<gateway>.<namespace>}, {@link GatewayRoutes}).
 */
final class RdsGenerator implements XdsGenerator {
  private final XdsCache cache;

  RdsGenerator(XdsCache cache) {
    this.cache = cache;
  }

  @Override
  public String typeUrl() {
    return TypeUrls.ROUTE;
  }

  @Override
  public boolean needsPush(Proxy proxy, PushRequest request) {
    return PushFilters.fullPushAffects(proxy, request, PushFilters.rdsIgnored(proxy));
  }

  @Override
  public GenerationResult generate(Proxy proxy, PushContext push, WatchedResource watched, PushRequest request) {
    List<XdsResource> out = new ArrayList<>();
    if (proxy.isRouter()) {
      GatewayRoutes routes = new GatewayRoutes(GatewayInputs.of(ProxyInputs.of(proxy, push)));
      for (String name : new TreeSet<>(watched.resourceNames())) {
        out.add(XdsResource.of(name, routes.build(name)));
      }
      return new GenerationResult(out, Set.of(), false, out.size() + " route configurations");
    }
    ProxyInputs in = ProxyInputs.of(proxy, push);
    OutboundRoutes routes = new OutboundRoutes(in);
    for (String name : new TreeSet<>(watched.resourceNames())) {
      out.add(cache.enabled()
          ? cache.get(push, CacheKeys.RouteConfiguration.of(in, name), 0, () -> sidecarRoutes(routes, name))
          : sidecarRoutes(routes, name));
    }
    return new GenerationResult(out, Set.of(), false, out.size() + " route configurations");
  }

  private static XdsResource sidecarRoutes(OutboundRoutes routes, String name) {
    var sniffed = SniffedRoutes.parse(name);
    return XdsResource.of(name, sniffed.isPresent() ? SniffedRoutes.build(routes, name, sniffed.get()) : routes.build(name));
  }
}
