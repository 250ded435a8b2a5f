package dev.istiod.xds.core.cluster;

import com.google.protobuf.Any;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import dev.istiod.api.networking.v1alpha3.LoadBalancerSettings;
import dev.istiod.api.networking.v1alpha3.Subset;
import dev.istiod.api.networking.v1alpha3.TrafficPolicy;
import dev.istiod.model.Protocol;
import dev.istiod.model.Resolution;
import dev.istiod.model.Service;
import dev.istiod.model.ServicePort;
import dev.istiod.model.push.ResolvedDestinationRule;
import dev.istiod.xds.core.ConfigMetadata;
import dev.istiod.xds.core.EnvoyNames;
import dev.istiod.xds.core.EnvoyNames.Direction;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.endpoint.EndpointBuilder;
import dev.istiod.xds.core.endpoint.LocalityGroup;
import dev.istiod.xds.core.filter.Filters;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Outbound clusters of a service (one per port, plus one per DestinationRule subset), in the
 * shape upstream builds them ({@code cluster_builder.go}): discovery type from the service's
 * resolution, EDS over ADS for client-side load balancing, inline load assignments for DNS, the
 * traffic policy applied by ordered contributors, and Istio's metadata.
 */
public final class ClusterBuilder {
  private static final Logger log = LoggerFactory.getLogger(ClusterBuilder.class);
  /** Envoy's c-ares resolver: upstream caps concurrent UDP queries per resolver at 100. */
  static final String CARES_RESOLVER = "envoy.network.dns_resolver.cares";
  static final int DNS_UDP_MAX_QUERIES = 100;
  /** Upstream's PILOT_DNS_JITTER_DURATION default. */
  static final com.google.protobuf.Duration DNS_JITTER = com.google.protobuf.Duration.newBuilder().setNanos(100_000_000).build();

  private final ProxyInputs in;

  public ClusterBuilder(ProxyInputs in) {
    this.in = in;
  }

  /**
   * The clusters of every port of {@code service} (UDP ports have none), and of every subset of
   * its DestinationRule. A cluster whose policy cannot be served yet is left out and logged: the
   * rest of the proxy's clusters still go out.
   */
  public List<Cluster> outbound(Service service) {
    List<Cluster> out = new ArrayList<>();
    Optional<ResolvedDestinationRule> dr = in.scope().destinationRule(in.proxy(), service.hostname());
    for (ServicePort port : service.ports()) {
      if (port.protocol() == Protocol.UDP) {
        continue;
      }
      TrafficPolicy policy = ResolvedDestinationRule.effectivePolicy(dr, port.port(), "", in.mesh());
      String name = EnvoyNames.outboundCluster(port.port(), "", service.hostname());
      Optional<ClusterDraft> main = outboundCluster(name, service, port, policy, Map.of(), dr, false);
      if (main.isEmpty()) {
        continue; // a DNS service without endpoints: no cluster, and no subsets either
      }
      dr.ifPresent(d -> ConfigMetadata.addConfig(main.get().cluster().getMetadataBuilder(), d.config()));
      checked(main.get()).ifPresent(out::add);
      if (dr.isEmpty()) {
        continue;
      }
      for (Subset subset : dr.get().rule().getSubsetsList()) {
        TrafficPolicy subsetPolicy = ResolvedDestinationRule.effectivePolicy(dr, port.port(), subset.getName(), in.mesh());
        String subsetName = EnvoyNames.outboundCluster(port.port(), subset.getName(), service.hostname());
        boolean passthrough = subsetPolicy.getLoadBalancer().getSimple() == LoadBalancerSettings.SimpleLB.PASSTHROUGH;
        outboundCluster(subsetName, service, port, subsetPolicy, subset.getLabelsMap(), dr, passthrough).ifPresent(d -> {
          Metadata.Builder md = d.cluster().getMetadataBuilder();
          ConfigMetadata.addConfig(md, dr.get().config());
          ConfigMetadata.put(md, "subset", Value.newBuilder().setStringValue(subset.getName()).build());
          checked(d).ifPresent(out::add);
        });
      }
    }
    return out;
  }

  /**
   * The built cluster, unless a policy rejected it. Whether Envoy would accept it is checked for
   * every cluster of the proxy at once, in CDS ({@link ClusterValidator#accept}).
   */
  private Optional<Cluster> checked(ClusterDraft d) {
    if (!d.rejections().isEmpty()) {
      log.warn("{}: not sending cluster {}: {}", in.proxy().id(), d.cluster().getName(), d.rejections());
      return Optional.empty();
    }
    return Optional.of(d.build());
  }

  private Optional<ClusterDraft> outboundCluster(String name, Service service, ServicePort port, TrafficPolicy policy,
      Map<String, String> subsetLabels, Optional<ResolvedDestinationRule> dr, boolean passthrough) {
    Cluster.DiscoveryType type = passthrough ? Cluster.DiscoveryType.ORIGINAL_DST : discoveryType(service.resolution());
    List<LocalityGroup> endpoints = List.of();
    if (type == Cluster.DiscoveryType.STRICT_DNS || type == Cluster.DiscoveryType.LOGICAL_DNS
        || type == Cluster.DiscoveryType.STATIC) {
      String subset = EnvoyNames.parseCluster(name).map(EnvoyNames.SubsetKey::subset).orElse("");
      endpoints = EndpointBuilder.localityGroups(in, service, port, subsetLabels,
          EndpointBuilder.mtls(in, service, port, subset, dr));
      if (endpoints.isEmpty()) {
        return Optional.empty();
      }
    }
    ClusterDraft d = base(name, type, endpoints, port);
    servicesMetadata(d.cluster().getMetadataBuilder(), List.of(service));
    TrafficPolicies.apply(TrafficPolicies.OUTBOUND,
        new TrafficPolicyContributor.Context(in, service, port, policy, Direction.OUTBOUND, dr), d);
    if (d.cluster().getType() == Cluster.DiscoveryType.ORIGINAL_DST && service.resolution() == Resolution.PASSTHROUGH
        && service.registry() == Service.Registry.SERVICE_ENTRY && port.targetPort() > 0) {
      // A resolution-NONE ServiceEntry port with targetPort: connect to the dialled address on the
      // target port (upstream's PassthroughTargetPorts).
      d.cluster().getOriginalDstLbConfigBuilder().setUpstreamPortOverride(UInt32Value.of(port.targetPort()));
    }
    applyEdsConfig(d.cluster());
    if (in.metadataExchange()) {
      d.cluster().addFilters(Filters.clusterMetadataExchange());
    }
    return Optional.of(d);
  }

  static Cluster.DiscoveryType discoveryType(Resolution r) {
    return switch (r) {
      case CLIENT_SIDE_LB -> Cluster.DiscoveryType.EDS;
      case DNS_LB -> Cluster.DiscoveryType.STRICT_DNS;
      case DNS_ROUND_ROBIN -> Cluster.DiscoveryType.LOGICAL_DNS;
      case PASSTHROUGH -> Cluster.DiscoveryType.ORIGINAL_DST;
    };
  }

  /** The settings every cluster shares: name, type, stat name, DNS or static endpoints, protocol. */
  ClusterDraft base(String name, Cluster.DiscoveryType type, List<LocalityGroup> endpoints, ServicePort port) {
    Cluster.Builder c = Cluster.newBuilder().setName(name).setType(type)
        .setAltStatName(EnvoyNames.delimitedStatPrefix(name));
    c.getCommonLbConfigBuilder();
    if (type == Cluster.DiscoveryType.STRICT_DNS || type == Cluster.DiscoveryType.LOGICAL_DNS) {
      c.setDnsLookupFamily(in.ipv6Only() ? Cluster.DnsLookupFamily.V6_ONLY : Cluster.DnsLookupFamily.V4_ONLY)
          .setTypedDnsResolverConfig(TypedExtensionConfig.newBuilder().setName(CARES_RESOLVER)
              .setTypedConfig(Any.pack(CaresDnsResolverConfig.newBuilder()
                  .setUdpMaxQueries(UInt32Value.of(DNS_UDP_MAX_QUERIES)).build())))
          .setDnsJitter(DNS_JITTER)
          .setDnsRefreshRate(in.mesh().getDnsRefreshRate())
          .setRespectDnsTtl(true);
    }
    if (!endpoints.isEmpty()) {
      c.setLoadAssignment(EndpointBuilder.loadAssignment(name, LocalityGroup.envoy(endpoints)));
    }
    ClusterDraft d = new ClusterDraft(c, endpoints);
    UpstreamProtocols.forPort(d, port, in.proxy().isSidecar());
    return d;
  }

  /** EDS clusters read their endpoints over the same ADS stream, named like the cluster. */
  static void applyEdsConfig(Cluster.Builder c) {
    if (c.getType() != Cluster.DiscoveryType.EDS) {
      return;
    }
    c.getEdsClusterConfigBuilder().setServiceName(c.getName()).setEdsConfig(ads());
  }

  /** ADS as config source, without waiting for a first response (Istio always answers). */
  public static ConfigSource ads() {
    return ConfigSource.newBuilder()
        .setAds(AggregatedConfigSource.getDefaultInstance())
        .setInitialFetchTimeout(com.google.protobuf.Duration.getDefaultInstance())
        .setResourceApiVersion(ApiVersion.V3)
        .build();
  }

  /** {@code istio.services}: the services behind a cluster, for telemetry. */
  static void servicesMetadata(Metadata.Builder md, List<Service> services) {
    ListValue.Builder list = ListValue.newBuilder();
    for (Service s : services) {
      String name = s.registry() == Service.Registry.KUBERNETES
          ? s.hostname().substring(0, Math.max(0, s.hostname().indexOf('.'))) : s.hostname();
      list.addValues(Value.newBuilder().setStructValue(Struct.newBuilder()
          .putFields("host", Value.newBuilder().setStringValue(s.hostname()).build())
          .putFields("name", Value.newBuilder().setStringValue(name).build())
          .putFields("namespace", Value.newBuilder().setStringValue(s.namespace()).build())));
    }
    ConfigMetadata.put(md, "services", Value.newBuilder().setListValue(list).build());
  }
}
