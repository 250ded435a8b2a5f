package dev.istiod.xds.grpcgen;

import dev.istiod.api.networking.v1alpha3.DestinationRule;
import dev.istiod.api.networking.v1alpha3.Subset;
import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.model.Service;
import dev.istiod.model.ServicePort;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsGenerator;
import dev.istiod.xds.XdsResource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CDS for proxyless gRPC. gRPC subscribes to exactly the clusters its routes name, so only those
 * are built: a service's default cluster whenever it is requested (even for an unknown service,
 * as upstream, so the client sees an empty cluster rather than a deleted one), and a subset
 * cluster when the client's DestinationRule for the host defines the subset. A wildcard
 * subscription gets every cluster of the client's scope.
 */
final class GrpcClusterGenerator implements XdsGenerator {

  private static final Logger log = LoggerFactory.getLogger(GrpcClusterGenerator.class);

  @Override
  public String typeUrl() {
    return TypeUrls.CLUSTER;
  }

  @Override
  public boolean needsPush(Proxy proxy, PushRequest request) {
    return request.full();
  }

  @Override
  public GenerationResult generate(Proxy proxy, PushContext push, WatchedResource watched, PushRequest request) {
    ProxylessView view = ProxylessView.of(proxy, push);
    Collection<String> names = watched.wildcard() ? allClusterNames(view) : new TreeSet<>(watched.resourceNames());
    List<XdsResource> out = new ArrayList<>();
    for (String name : names) {
      Optional<SubsetKey> key = SubsetKey.parse(name);
      if (key.isEmpty()) {
        log.warn("{}: cannot parse gRPC cluster name {}", proxy.id(), name);
        continue;
      }
      Optional<Service> svc = view.service(key.get().host()).filter(s -> s.port(key.get().port()).isPresent());
      if (svc.isEmpty()) {
        log.debug("{}: no service port for cluster {}", proxy.id(), name);
      }
      Optional<DestinationRule> rule = svc.flatMap(s -> view.destinationRule(s.hostname()));
      List<String> sans = svc.map(view::subjectAltNames).orElse(List.of());
      GrpcClusterBuilder.build(key.get(), rule, sans).ifPresent(c -> out.add(XdsResource.of(name, c)));
    }
    return new GenerationResult(out, Set.of(), false, "grpc cds " + out.size());
  }

  /** Every default and subset cluster name of the client's scope, sorted. */
  private static Set<String> allClusterNames(ProxylessView view) {
    Set<String> out = new TreeSet<>();
    for (Service svc : view.services()) {
      Optional<DestinationRule> rule = view.destinationRule(svc.hostname());
      for (ServicePort port : svc.ports()) {
        SubsetKey key = new SubsetKey(port.port(), "", svc.hostname());
        out.add(key.name());
        rule.ifPresent(r -> r.getSubsetsList().stream().map(Subset::getName)
            .forEach(subset -> out.add(key.withSubset(subset).name())));
      }
    }
    return out;
  }
}
