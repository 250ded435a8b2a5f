package dev.istiod.xds.core.cluster;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.networking.v1alpha3.TrafficPolicy;
import dev.istiod.model.push.ResolvedDestinationRule;
import java.util.List;

/**
 * DestinationRule traffic policies on clusters: the ordered contributors that translate a
 * policy into cluster settings. The merge rules that produce the policy of one port and subset
 * live in {@link ResolvedDestinationRule#policy}, shared with EDS.
 *
 * <p>The order is upstream's {@code applyTrafficPolicy}: HTTP/2 upgrade before the connection
 * pool (so h2 settings land on an h2 cluster), outlier detection before locality settings
 * (failover is only enabled with outlier detection), locality before the simple policy
 * (PASSTHROUGH then drops the load assignment), consistent hash after the simple policy (it
 * replaces it), TLS after HTTP/2 (for ALPN), and original-destination clusters forced to
 * CLUSTER_PROVIDED last.
 */
public final class TrafficPolicies {
  public static final List<TrafficPolicyContributor> OUTBOUND = List.of(
      ConnectionPools.H2_UPGRADE,
      ConnectionPools.CONNECTION_POOL,
      OutlierDetections.OUTLIER_DETECTION,
      LoadBalancers.LOCALITY,
      LoadBalancers.SIMPLE,
      LoadBalancers.CONSISTENT_HASH,
      UpstreamTls.TLS,
      LoadBalancers.ORIGINAL_DST_LB);
  /** Only the connection pool applies server side, so the receiver matches the client's volume. */
  public static final List<TrafficPolicyContributor> INBOUND =
      List.of(ConnectionPools.CONNECTION_POOL, LoadBalancers.ORIGINAL_DST_LB);

  private TrafficPolicies() {}

  static void apply(List<TrafficPolicyContributor> contributors, TrafficPolicyContributor.Context ctx, ClusterDraft d) {
    for (TrafficPolicyContributor c : contributors) {
      c.apply(ctx, d);
    }
  }

  /** Mesh-wide {@code defaultTrafficPolicy} fills the connection pool and outlier detection a rule leaves unset. */
  static TrafficPolicy withMeshDefaults(TrafficPolicy policy, MeshConfig mesh) {
    return ResolvedDestinationRule.withMeshDefaults(policy, mesh);
  }
}
