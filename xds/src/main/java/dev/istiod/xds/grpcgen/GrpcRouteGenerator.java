package dev.istiod.xds.grpcgen;

import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.model.Service;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsGenerator;
import dev.istiod.xds.XdsResource;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RDS for proxyless gRPC. Route configurations are named like the service's default cluster,
 * {@code outbound|<port>||<host>} (upstream's grpcgen naming, which its client listeners
 * reference), and hold one virtual host for that service port.
 */
final class GrpcRouteGenerator implements XdsGenerator {

  private static final Logger log = LoggerFactory.getLogger(GrpcRouteGenerator.class);

  @Override
  public String typeUrl() {
    return TypeUrls.ROUTE;
  }

  @Override
  public boolean needsPush(Proxy proxy, PushRequest request) {
    return request.full();
  }

  @Override
  public GenerationResult generate(Proxy proxy, PushContext push, WatchedResource watched, PushRequest request) {
    ProxylessView view = ProxylessView.of(proxy, push);
    GrpcRouteBuilder.Context ctx = new GrpcRouteBuilder.Context(proxy, view::service, view.domainSuffix());
    List<XdsResource> out = new ArrayList<>();
    for (String name : watched.resourceNames().stream().sorted().toList()) {
      Optional<SubsetKey> key = SubsetKey.parse(name);
      if (key.isEmpty()) {
        log.warn("{}: cannot parse gRPC route name {}", proxy.id(), name);
        continue;
      }
      out.add(XdsResource.of(name, build(name, key.get(), view, ctx)));
    }
    return new GenerationResult(out, Set.of(), false, "grpc rds " + out.size());
  }

  /**
   * The route configuration, or one without virtual hosts when the client's scope has no such
   * service port: the client then fails its RPCs at once instead of waiting for the resource.
   */
  private static RouteConfiguration build(String name, SubsetKey key, ProxylessView view, GrpcRouteBuilder.Context ctx) {
    Optional<Service> svc = view.service(key.host()).filter(s -> s.port(key.port()).isPresent());
    if (svc.isEmpty()) {
      log.debug("{}: no service port for route {}", view.proxy().id(), name);
      return RouteConfiguration.newBuilder().setName(name).build();
    }
    return GrpcRouteBuilder.build(name, svc.get(), key.port(), view.virtualServices(key.host(), key.port()), ctx);
  }
}
