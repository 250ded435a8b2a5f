package dev.istiod.xds.gen;

import dev.istiod.model.ConfigKey;
import dev.istiod.model.Kind;
import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.model.Service;
import dev.istiod.model.push.ResolvedDestinationRule;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.ResourceNames;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsGenerator;
import dev.istiod.xds.XdsResource;
import dev.istiod.xds.cache.CacheKeys;
import dev.istiod.xds.cache.XdsCache;
import dev.istiod.xds.core.EnvoyNames;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.endpoint.EndpointBuilder;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
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

  private final XdsCache cache;

  EdsGenerator(XdsCache cache) {
    this.cache = cache;
  }

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
    CachedHosts hosts = cache.enabled() ? new CachedHosts(in) : null;
    List<XdsResource> out;
    if (incremental || hosts == null || !ResourceNames.view(watched.resourceNames(), ALL_OUTBOUND)) {
      out = new ArrayList<>();
      for (String cluster : new TreeSet<>(incremental ? ofHosts(watched.resourceNames(), changedHosts)
          : watched.resourceNames())) {
        out.add(hosts == null ? assignment(in, cluster) : hosts.assignment(cluster));
      }
    } else {
      // The whole answer, shared by the proxies of a scope that watch the same clusters.
      long endpoints = push.environment().endpointIndex().publishedVersion();
      var key = CacheKeys.ScopeAssignments.of(cache, in, hosts.facts, ResourceNames.of(watched.resourceNames()));
      out = cache.get(push, key, endpoints, () -> ResourceNames.of(watched.resourceNames()).sorted().stream()
          .map(hosts::assignment).toList());
    }
    return new GenerationResult(out, Set.of(), incremental,
        out.size() + (incremental ? " changed" : "") + " load assignments");
  }

  private static final Function<Set<String>, Boolean> ALL_OUTBOUND = names -> names.stream()
      .allMatch(n -> EnvoyNames.parseCluster(n).filter(k -> k.direction() == EnvoyNames.Direction.OUTBOUND)
          .isPresent());

  /**
   * The subscribed clusters by the host they name ({@code outbound|port|subset|host}, and the SNI-DNAT form
   * {@code outbound_.port_.subset_.host}); a view of the subscription, so the proxies that share a subscription
   * share one index and an endpoint change of one service costs each of them a lookup.
   */
  private static final Function<Set<String>, Map<String, List<String>>> BY_HOST = names -> {
    Map<String, List<String>> byHost = new HashMap<>();
    for (String name : names) {
      EnvoyNames.parseCluster(name)
          .ifPresent(k -> byHost.computeIfAbsent(k.host(), h -> new ArrayList<>()).add(name));
    }
    byHost.replaceAll((host, clusters) -> List.copyOf(clusters));
    return Map.copyOf(byHost);
  };

  /** The subscribed clusters of the changed hosts. */
  private static List<String> ofHosts(Set<String> clusters, Set<String> hosts) {
    Map<String, List<String>> byHost = ResourceNames.view(clusters, BY_HOST);
    List<String> out = new ArrayList<>();
    for (String host : hosts) {
      out.addAll(byHost.getOrDefault(host, List.of()));
    }
    return out;
  }

  /**
   * Assignments from the cache when another proxy with the same inputs had them at the same endpoints version
   * (read before building, so what is kept is never older than its stamp). What a key needs of a host — its
   * service, endpoints version, DestinationRule, failover labels — is looked up once per host, not per cluster.
   */
  private final class CachedHosts {
    private record Host(Optional<Service> service, long version, Optional<ResolvedDestinationRule> dr,
        Map<String, String> failoverLabels) {}

    private final ProxyInputs in;
    private final CacheKeys.ProxyFacts facts;
    private final Map<String, Host> hosts = new HashMap<>();

    CachedHosts(ProxyInputs in) {
      this.in = in;
      this.facts = CacheKeys.ProxyFacts.of(in);
    }

    XdsResource assignment(String cluster) {
      Optional<EnvoyNames.SubsetKey> name = EnvoyNames.parseCluster(cluster);
      if (name.isEmpty() || name.get().direction() != EnvoyNames.Direction.OUTBOUND) {
        return EdsGenerator.assignment(in, cluster);
      }
      Host h = hosts.computeIfAbsent(name.get().host(), host -> {
        Optional<Service> service = in.scope().service(host);
        long version = service.map(s -> in.push().environment().endpointIndex().version(s.key())).orElse(0L);
        Optional<ResolvedDestinationRule> dr = in.scope().destinationRule(in.proxy(), host);
        return new Host(service, version, dr, CacheKeys.labelsForFailover(in, facts, dr));
      });
      var key = CacheKeys.LoadAssignment.of(in, facts, cluster, h.service(), h.dr(), h.failoverLabels());
      return cache.get(in.push(), key, h.version(), () -> EdsGenerator.assignment(in, cluster));
    }
  }

  private static XdsResource assignment(ProxyInputs in, String cluster) {
    ClusterLoadAssignment cla;
    try {
      cla = EndpointBuilder.forCluster(in, cluster);
    } catch (RuntimeException e) {
      log.error("{}: sending no endpoints for {}: {}", in.proxy().id(), cluster, e.toString(), e);
      cla = ClusterLoadAssignment.newBuilder().setClusterName(cluster).build();
    }
    return XdsResource.of(cluster, cla);
  }
}
