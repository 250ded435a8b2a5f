package dev.istiod.xds.core.cluster;

import com.google.protobuf.Duration;
import dev.istiod.api.networking.v1alpha3.TrafficPolicy;
import dev.istiod.xds.core.Addresses;
import dev.istiod.xds.core.EnvoyNames;
import dev.istiod.xds.core.EnvoyNames.Direction;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.filter.Filters;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.BindConfig;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.util.List;

/**
 * The fixed clusters every sidecar gets: {@code BlackHoleCluster} (a static cluster without
 * endpoints), {@code PassthroughCluster} (original destination, for ALLOW_ANY) and
 * {@code InboundPassthroughCluster} (inbound traffic to undeclared ports).
 */
public final class SpecialClusters {
  /** Passthrough connections close after 5 idle minutes, as upstream. */
  static final Duration PASSTHROUGH_IDLE = Duration.newBuilder().setSeconds(300).build();

  private final ProxyInputs in;

  public SpecialClusters(ProxyInputs in) {
    this.in = in;
  }

  public Cluster blackHole() {
    return Cluster.newBuilder()
        .setName(EnvoyNames.BLACK_HOLE_CLUSTER)
        .setType(Cluster.DiscoveryType.STATIC)
        .setConnectTimeout(in.mesh().getConnectTimeout())
        .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
        .setAltStatName(EnvoyNames.delimitedStatPrefix(EnvoyNames.BLACK_HOLE_CLUSTER))
        .build();
  }

  public Cluster passthrough() {
    ClusterDraft d = passthroughDraft(EnvoyNames.PASSTHROUGH_CLUSTER);
    if (in.metadataExchange()) {
      d.cluster().addFilters(Filters.clusterMetadataExchange());
    }
    return d.build();
  }

  /** Like the passthrough cluster, but bound to 127.0.0.6 so iptables lets it reach the app. */
  public Cluster inboundPassthrough() {
    ClusterDraft d = passthroughDraft(EnvoyNames.INBOUND_PASSTHROUGH_CLUSTER);
    boolean v4 = !in.ipv6Only();
    BindConfig.Builder bind = BindConfig.newBuilder().setSourceAddress(
        Addresses.socket(v4 ? InboundClusters.PASSTHROUGH_BIND_V4 : InboundClusters.PASSTHROUGH_BIND_V6, 0).getSocketAddress());
    if (v4 && !in.ipv4Only()) {
      bind.addExtraSourceAddressesBuilder().setAddress(
          Addresses.socket(InboundClusters.PASSTHROUGH_BIND_V6, 0).getSocketAddress());
    }
    d.cluster().setUpstreamBindConfig(bind);
    return d.build();
  }

  private ClusterDraft passthroughDraft(String name) {
    ClusterDraft d = new ClusterDraft(Cluster.newBuilder()
        .setName(name)
        .setType(Cluster.DiscoveryType.ORIGINAL_DST)
        .setConnectTimeout(in.mesh().getConnectTimeout())
        .setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
        .setAltStatName(EnvoyNames.delimitedStatPrefix(name)));
    // Unknown destinations speak whatever the client spoke.
    d.httpOptions().getCommonHttpProtocolOptionsBuilder().setIdleTimeout(PASSTHROUGH_IDLE);
    d.httpOptions().setUseDownstreamProtocolConfig(HttpProtocolOptions.UseDownstreamHttpConfig.newBuilder()
        .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance())
        .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()));
    // The mesh-wide connection pool caps the otherwise unbounded egress (no outlier detection).
    TrafficPolicy policy = TrafficPolicies.withMeshDefaults(TrafficPolicy.getDefaultInstance(), in.mesh())
        .toBuilder().clearOutlierDetection().build();
    TrafficPolicies.apply(List.of(ConnectionPools.CONNECTION_POOL),
        new TrafficPolicyContributor.Context(in, null, null, policy, Direction.OUTBOUND), d);
    return d;
  }
}
