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
import dev.istiod.xds.cache.CacheKeys;
import dev.istiod.xds.cache.XdsCache;
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

  private final XdsCache cache;

  CdsGenerator(XdsCache cache) {
    this.cache = cache;
  }

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
    List<XdsResource> clusters = new ArrayList<>();
    ClusterBuilder outbound = new ClusterBuilder(in);
    CacheKeys.ProxyFacts facts = cache.enabled() ? CacheKeys.ProxyFacts.of(in) : null;
    if (facts == null) {
      clusters.addAll(outboundOfScope(in, null, outbound));
    } else {
      long endpoints = push.environment().endpointIndex().publishedVersion();
      clusters.addAll(cache.get(push, CacheKeys.ScopeClusters.of(cache, in, facts), endpoints,
          () -> outboundOfScope(in, facts, outbound)));
    }
    List<Cluster> local = new ArrayList<>();
    SpecialClusters special = new SpecialClusters(in);
    local.add(special.blackHole());
    if (proxy.isRouter()) {
      local.addAll(new GatewayClusters(GatewayInputs.of(in)).sniDnat());
    }
    if (proxy.isSidecar()) {
      local.add(special.passthrough());
      local.addAll(new InboundClusters(in).build());
      local.add(special.inboundPassthrough());
    }
    clusters.addAll(checked(proxy, local));
    // Conflicting service definitions can yield one name twice; the first wins, as upstream.
    Map<String, XdsResource> byName = new LinkedHashMap<>();
    clusters.forEach(c -> byName.putIfAbsent(c.name(), c));
    List<XdsResource> out = new ArrayList<>();
    for (XdsResource c : byName.values()) {
      if (watched.wildcard() || watched.resourceNames().contains(c.name())) {
        out.add(c);
      }
    }
    return new GenerationResult(out, java.util.Set.of(), false, out.size() + " clusters");
  }

  /** The outbound clusters of every service in the proxy's scope, in the scope's order. */
  private List<XdsResource> outboundOfScope(ProxyInputs in, CacheKeys.ProxyFacts facts, ClusterBuilder builder) {
    List<XdsResource> clusters = new ArrayList<>();
    for (Service s : in.scope().services()) {
      try {
        clusters.addAll(outboundClusters(in, facts, builder, s));
      } catch (RuntimeException e) {
        // One service's bad input must not cost the proxy every other cluster.
        log.error("{}: skipping clusters of {}/{}: {}", in.proxy().id(), s.namespace(), s.hostname(), e.toString(), e);
      }
    }
    return List.copyOf(clusters);
  }

  /**
   * The service's clusters, validated and packed: from the cache when another proxy with the same inputs
   * already had them. The endpoints' version is read before building, so what is kept is never older than
   * its stamp (DNS clusters inline endpoints; auto mTLS and SANs read them too).
   */
  private List<XdsResource> outboundClusters(ProxyInputs in, CacheKeys.ProxyFacts facts, ClusterBuilder builder,
      Service s) {
    if (facts == null) {
      return checked(in.proxy(), builder.outbound(s));
    }
    long endpoints = in.push().environment().endpointIndex().version(s.key());
    var key = CacheKeys.OutboundClusters.of(in, facts, s, in.scope().destinationRule(in.proxy(), s.hostname()));
    return cache.get(in.push(), key, endpoints, () -> checked(in.proxy(), builder.outbound(s)));
  }

  /** Envoy rejects the whole update for one bad cluster: leave such clusters out (the validator says so). */
  private static List<XdsResource> checked(Proxy proxy, List<Cluster> clusters) {
    List<XdsResource> out = new ArrayList<>(clusters.size());
    for (Cluster c : clusters) {
      if (ClusterValidator.accept(proxy.id(), c)) {
        out.add(XdsResource.of(c.getName(), c));
      }
    }
    return List.copyOf(out);
  }
}
