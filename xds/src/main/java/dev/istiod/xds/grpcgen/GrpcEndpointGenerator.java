package dev.istiod.xds.grpcgen;

import dev.istiod.api.networking.v1alpha3.DestinationRule;
import dev.istiod.api.networking.v1alpha3.Subset;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.Kind;
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
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * EDS for proxyless gRPC: a ClusterLoadAssignment per requested cluster, shaped for gRPC's EDS
 * parser (see {@link GrpcEndpointBuilder}). On an endpoint-only push only the clusters of the
 * services that changed are rebuilt and the result is marked incremental; a requested cluster
 * with no service or no endpoints gets an empty assignment, so the client never waits on it.
 */
final class GrpcEndpointGenerator implements XdsGenerator {

  @Override
  public String typeUrl() {
    return TypeUrls.ENDPOINT;
  }

  @Override
  public boolean needsPush(Proxy proxy, PushRequest request) {
    return request.full() || request.touches(Kind.ENDPOINTS);
  }

  @Override
  public GenerationResult generate(Proxy proxy, PushContext push, WatchedResource watched, PushRequest request) {
    ProxylessView view = ProxylessView.of(proxy, push);
    boolean incremental = !request.full();
    Set<String> changedHosts = request.configsUpdated().stream()
        .filter(k -> k.kind() == Kind.ENDPOINTS).map(ConfigKey::name).collect(Collectors.toSet());
    List<XdsResource> out = new ArrayList<>();
    for (String name : watched.resourceNames().stream().sorted().toList()) {
      Optional<SubsetKey> key = SubsetKey.parse(name);
      if (key.isEmpty() || (incremental && !changedHosts.contains(key.get().host()))) {
        continue;
      }
      out.add(XdsResource.of(name, assignment(name, key.get(), view)));
    }
    return new GenerationResult(out, Set.of(), incremental, "grpc eds " + out.size());
  }

  private static ClusterLoadAssignment assignment(String name, SubsetKey key, ProxylessView view) {
    Optional<Service> svc = view.service(key.host());
    Optional<ServicePort> port = svc.flatMap(s -> s.port(key.port()));
    if (port.isEmpty()) {
      return ClusterLoadAssignment.newBuilder().setClusterName(name).build();
    }
    Map<String, String> labels = Map.of();
    if (!key.subset().isEmpty()) {
      Optional<Subset> subset = view.destinationRule(key.host())
          .flatMap((DestinationRule r) -> GrpcClusterBuilder.subset(r, key.subset()));
      if (subset.isEmpty()) {
        return ClusterLoadAssignment.newBuilder().setClusterName(name).build();
      }
      labels = subset.get().getLabelsMap();
    }
    return GrpcEndpointBuilder.build(name, view.endpoints(svc.get()), port.get(), labels);
  }
}
