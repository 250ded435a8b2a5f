package dev.istiod.xds.gen;

import dev.istiod.model.ConfigKey;
import dev.istiod.model.Kind;
import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsGenerator;
import dev.istiod.xds.XdsResource;
import dev.istiod.xds.core.EnvoyNames;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.endpoint.EndpointBuilder;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * EDS: a load assignment for each subscribed {@code outbound|...} cluster, read from the live
 * endpoint index. An endpoint-only push (no PushContext rebuild) regenerates only the clusters of
 * the services it names and says so ({@code incremental}), so a delta stream does not take the
 * absent clusters as removed.
 */
final class EdsGenerator implements XdsGenerator {
  private static final Logger log = LoggerFactory.getLogger(EdsGenerator.class);

  @Override
  public String typeUrl() {
    return TypeUrls.ENDPOINT;
  }

  @Override
  public boolean needsPush(Proxy proxy, PushRequest request) {
    if (request == null || request.forced()) {
      return true;
    }
    if (!request.full()) {
      return request.touches(Kind.ENDPOINTS);
    }
    return request.configsUpdated().isEmpty()
        || request.configsUpdated().stream().anyMatch(k -> !PushFilters.EDS_IGNORED.contains(k.kind()));
  }

  @Override
  public GenerationResult generate(Proxy proxy, PushContext push, WatchedResource watched, PushRequest request) {
    ProxyInputs in = ProxyInputs.of(proxy, push);
    boolean incremental = request != null && !request.full() && !request.forced();
    Set<String> changedHosts = incremental
        ? request.configsUpdated().stream().filter(k -> k.kind() == Kind.ENDPOINTS).map(ConfigKey::name)
            .collect(Collectors.toSet())
        : Set.of();
    List<XdsResource> out = new ArrayList<>();
    for (String cluster : new TreeSet<>(watched.resourceNames())) {
      if (incremental && !changedHosts.contains(EnvoyNames.parseCluster(cluster).map(EnvoyNames.SubsetKey::host).orElse(""))) {
        continue;
      }
      ClusterLoadAssignment cla;
      try {
        cla = EndpointBuilder.forCluster(in, cluster);
      } catch (RuntimeException e) {
        log.error("{}: sending no endpoints for {}: {}", proxy.id(), cluster, e.toString(), e);
        cla = ClusterLoadAssignment.newBuilder().setClusterName(cluster).build();
      }
      out.add(XdsResource.of(cluster, cla));
    }
    return new GenerationResult(out, Set.of(), incremental,
        out.size() + (incremental ? " changed" : "") + " load assignments");
  }
}
