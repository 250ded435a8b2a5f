package dev.istiod.xds.gen;

import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.model.Service;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsGenerator;
import dev.istiod.xds.XdsResource;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.cluster.ClusterBuilder;
import dev.istiod.xds.core.cluster.ClusterValidator;
import dev.istiod.xds.core.cluster.InboundClusters;
import dev.istiod.xds.core.cluster.SpecialClusters;
import dev.istiod.xds.core.gateway.GatewayClusters;
import dev.istiod.xds.core.gateway.GatewayInputs;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CDS: the outbound clusters of every service in the proxy's sidecar scope (and their subsets),
 * the black hole and passthrough clusters, and for sidecars the inbound clusters of the proxy's
 * own workload ports. Gateways get the outbound clusters, the black hole, and with an
 * AUTO_PASSTHROUGH server the SNI-DNAT clusters ({@link GatewayClusters}).
 */
final class CdsGenerator implements XdsGenerator {
  private static final Logger log = LoggerFactory.getLogger(CdsGenerator.class);

  @Override
  public String typeUrl() {
    return TypeUrls.CLUSTER;
  }

  @Override
  public boolean needsPush(Proxy proxy, PushRequest request) {
    return PushFilters.fullPushAffects(proxy, request, PushFilters.cdsIgnored(proxy));
  }

  @Override
  public GenerationResult generate(Proxy proxy, PushContext push, WatchedResource watched, PushRequest request) {
    ProxyInputs in = ProxyInputs.of(proxy, push);
    List<Cluster> clusters = new ArrayList<>();
    ClusterBuilder outbound = new ClusterBuilder(in);
    for (Service s : in.scope().services()) {
      try {
        clusters.addAll(outbound.outbound(s));
      } catch (RuntimeException e) {
        // One service's bad input must not cost the proxy every other cluster.
        log.error("{}: skipping clusters of {}/{}: {}", proxy.id(), s.namespace(), s.hostname(), e.toString(), e);
      }
    }
    SpecialClusters special = new SpecialClusters(in);
    clusters.add(special.blackHole());
    if (proxy.isRouter()) {
      clusters.addAll(new GatewayClusters(GatewayInputs.of(in)).sniDnat());
    }
    if (proxy.isSidecar()) {
      clusters.add(special.passthrough());
      clusters.addAll(new InboundClusters(in).build());
      clusters.add(special.inboundPassthrough());
    }
    // Envoy rejects the whole update for one bad cluster: leave such clusters out, and say so.
    clusters.removeIf(c -> !ClusterValidator.accept(proxy.id(), c));
    // Conflicting service definitions can yield one name twice; the first wins, as upstream.
    Map<String, Cluster> byName = new LinkedHashMap<>();
    clusters.forEach(c -> byName.putIfAbsent(c.getName(), c));
    List<XdsResource> out = new ArrayList<>();
    for (Cluster c : byName.values()) {
      if (watched.wildcard() || watched.resourceNames().contains(c.getName())) {
        out.add(XdsResource.of(c.getName(), c));
      }
    }
    return new GenerationResult(out, java.util.Set.of(), false, out.size() + " clusters");
  }
}
