package dev.istiod.xds.grpcgen;

import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.model.Service;
import dev.istiod.model.ServicePort;
import dev.istiod.model.ServiceTarget;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsGenerator;
import dev.istiod.xds.XdsResource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LDS for proxyless gRPC: one client listener per requested {@code host:port} of a service the
 * client's scope sees, and server listeners for the requested
 * {@code xds.istio.io/grpc/lds/inbound/<ip>:<port>} names the client's own workload serves.
 */
final class GrpcListenerGenerator implements XdsGenerator {

  private static final Logger log = LoggerFactory.getLogger(GrpcListenerGenerator.class);

  @Override
  public String typeUrl() {
    return TypeUrls.LISTENER;
  }

  @Override
  public boolean needsPush(Proxy proxy, PushRequest request) {
    return request.full();
  }

  @Override
  public GenerationResult generate(Proxy proxy, PushContext push, WatchedResource watched, PushRequest request) {
    ProxylessView view = ProxylessView.of(proxy, push);
    ListenerNames names = ListenerNames.parse(watched.wildcard() ? List.of() : watched.resourceNames(), proxy);
    List<XdsResource> out = new ArrayList<>();
    for (Service svc : view.services()) {
      Optional<ListenerNames.Requested> requested = names.lookup(svc.hostname());
      if (requested.isEmpty()) {
        continue;
      }
      // One listener per spelling: a client may watch both "echo:7070" and "echo.default:7070".
      for (String spelling : requested.get().spellings().stream().sorted().toList()) {
        for (ServicePort port : svc.ports()) {
          if (!requested.get().includesPort(port.port())) {
            continue;
          }
          String name = HostPort.join(spelling, port.port());
          String routeName = new SubsetKey(port.port(), "", svc.hostname()).name();
          out.add(XdsResource.of(name,
              GrpcListenerBuilder.client(name, svc.defaultAddress(), port.port(), routeName)));
        }
      }
    }
    for (String name : names.inbound().stream().sorted().toList()) {
      serverListener(name, view).ifPresent(out::add);
    }
    return new GenerationResult(out, java.util.Set.of(), false, "grpc lds " + out.size());
  }

  /**
   * A server listener, if the name parses and the client's workload serves that port (as upstream,
   * which looks the port up among the proxy's service instances).
   */
  private static Optional<XdsResource> serverListener(String name, ProxylessView view) {
    Optional<HostPort> address = HostPort.parse(name.substring(ListenerNames.INBOUND_PREFIX.length()));
    if (address.isEmpty()) {
      log.warn("{}: cannot parse an address from gRPC server listener name {}", view.proxy().id(), name);
      return Optional.empty();
    }
    int port = address.get().port();
    boolean serves = view.serviceTargets().stream().map(ServiceTarget::targetPort).anyMatch(p -> p == port);
    if (!serves) {
      log.warn("{} has no service target for port {}; not sending {}", view.proxy().id(), port, name);
      return Optional.empty();
    }
    return Optional.of(XdsResource.of(name, GrpcListenerBuilder.server(name, address.get())));
  }
}
