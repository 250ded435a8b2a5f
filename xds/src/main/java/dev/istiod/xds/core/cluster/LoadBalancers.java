package dev.istiod.xds.core.cluster;

import com.google.protobuf.UInt64Value;
import dev.istiod.api.networking.v1alpha3.LoadBalancerSettings;
import dev.istiod.api.networking.v1alpha3.LocalityLoadBalancerSetting;
import dev.istiod.api.networking.v1alpha3.WarmupConfiguration;
import dev.istiod.model.Locality;
import dev.istiod.xds.core.endpoint.LocalityLoadBalancer;
import dev.istiod.xds.core.endpoint.LocalityPolicy;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.RuntimeDouble;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.type.v3.Percent;
import java.util.Optional;

/**
 * {@code loadBalancer} as upstream's {@code applyLoadBalancer}, in its order: locality settings
 * first (they need the outlier detection already applied), then the simple policy (LEAST_REQUEST
 * unless told otherwise; PASSTHROUGH turns the cluster into an original-destination cluster),
 * then consistent hashing (RING_HASH or MAGLEV; the hash key itself is a route setting, see
 * {@link HashPolicies}). Original-destination clusters always end up CLUSTER_PROVIDED.
 */
final class LoadBalancers {
  /** Envoy's default ring size, which upstream sets explicitly for a bare {@code consistentHash}. */
  static final long DEFAULT_MIN_RING_SIZE = 1024;
  /** Warmup defaults: linear ramp from 10% of the weight, Envoy's own minimum. */
  static final double DEFAULT_AGGRESSION = 1.0;
  static final double DEFAULT_MIN_WEIGHT_PERCENT = 10.0;
  /** Upstream pins the aggression's runtime key to a name no runtime layer ever defines. */
  static final String UNUSED_RUNTIME_KEY = "(";

  /**
   * Locality-weighted load balancing when {@code distribute} or failover rules are in force, and
   * the inline endpoints of DNS/static clusters weighted or prioritised for this proxy (EDS
   * clusters get the same treatment in EDS).
   */
  static final TrafficPolicyContributor LOCALITY = (ctx, d) -> {
    Optional<LocalityLoadBalancerSetting> setting =
        LocalityLoadBalancer.effectiveSetting(ctx.inputs().mesh(), ctx.policy().getLoadBalancer());
    if (setting.isEmpty()) {
      return;
    }
    boolean enableFailover = d.cluster().hasOutlierDetection();
    if (LocalityLoadBalancer.needsLocalityWeightedConfig(setting.get(), enableFailover)) {
      d.cluster().getCommonLbConfigBuilder().getLocalityWeightedLbConfigBuilder();
    }
    if (d.cluster().hasLoadAssignment() && !d.inlineEndpoints().isEmpty()) {
      ClusterLoadAssignment.Builder cla = d.cluster().getLoadAssignmentBuilder().clearEndpoints();
      Locality locality = LocalityPolicy.proxyLocality(ctx.inputs());
      cla.addAllEndpoints(LocalityLoadBalancer.apply(d.inlineEndpoints(), locality,
          LocalityLoadBalancer.proxyLabels(ctx.inputs().proxy(), locality), setting.get(), enableFailover));
    }
  };

  static final TrafficPolicyContributor SIMPLE = (ctx, d) -> applySimple(ctx.policy().getLoadBalancer(), d.cluster());

  static final TrafficPolicyContributor CONSISTENT_HASH = (ctx, d) -> {
    Cluster.Builder c = d.cluster();
    if (c.getType() == Cluster.DiscoveryType.ORIGINAL_DST || !ctx.policy().getLoadBalancer().hasConsistentHash()) {
      return;
    }
    applyConsistentHash(ctx.policy().getLoadBalancer().getConsistentHash(), c);
  };

  /** Envoy requires CLUSTER_PROVIDED for original-destination clusters, whatever else was set. */
  static final TrafficPolicyContributor ORIGINAL_DST_LB = (ctx, d) -> {
    if (d.cluster().getType() == Cluster.DiscoveryType.ORIGINAL_DST) {
      d.cluster().setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED);
    }
  };

  private LoadBalancers() {}

  private static void applySimple(LoadBalancerSettings lb, Cluster.Builder c) {
    if (c.getType() == Cluster.DiscoveryType.ORIGINAL_DST) {
      c.setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED);
      return;
    }
    switch (lb.getSimple()) {
      case RANDOM -> c.setLbPolicy(Cluster.LbPolicy.RANDOM);
      case ROUND_ROBIN -> {
        c.setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN);
        slowStart(lb).ifPresent(s -> c.getRoundRobinLbConfigBuilder().setSlowStartConfig(s));
      }
      case PASSTHROUGH -> {
        c.setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED);
        c.setType(Cluster.DiscoveryType.ORIGINAL_DST);
        c.clearLoadAssignment();
        c.clearEdsClusterConfig();
      }
      // LEAST_CONN (deprecated), LEAST_REQUEST, and unset: least request, Istio's default.
      default -> {
        c.setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST);
        slowStart(lb).ifPresent(s -> c.getLeastRequestLbConfigBuilder().setSlowStartConfig(s));
      }
    }
  }

  /** {@code warmup} (or the deprecated {@code warmupDurationSecs}) as Envoy's slow start. */
  static Optional<Cluster.SlowStartConfig> slowStart(LoadBalancerSettings lb) {
    if (lb.hasWarmup()) {
      WarmupConfiguration w = lb.getWarmup();
      return Optional.of(Cluster.SlowStartConfig.newBuilder()
          .setSlowStartWindow(w.getDuration())
          .setAggression(RuntimeDouble.newBuilder()
              .setDefaultValue(w.hasAggression() ? w.getAggression().getValue() : DEFAULT_AGGRESSION)
              .setRuntimeKey(UNUSED_RUNTIME_KEY))
          .setMinWeightPercent(Percent.newBuilder()
              .setValue(w.hasMinimumPercent() ? w.getMinimumPercent().getValue() : DEFAULT_MIN_WEIGHT_PERCENT))
          .build());
    }
    if (lb.hasWarmupDurationSecs()) {
      return Optional.of(Cluster.SlowStartConfig.newBuilder().setSlowStartWindow(lb.getWarmupDurationSecs()).build());
    }
    return Optional.empty();
  }

  /**
   * {@code maglev} → MAGLEV (table size if given); {@code ringHash} → RING_HASH (minimum size if
   * given); neither → RING_HASH with the deprecated {@code minimumRingSize} or Envoy's 1024.
   */
  static void applyConsistentHash(LoadBalancerSettings.ConsistentHashLB hash, Cluster.Builder c) {
    c.clearLbConfig();
    switch (hash.getHashAlgorithmCase()) {
      case MAGLEV -> {
        c.setLbPolicy(Cluster.LbPolicy.MAGLEV);
        if (hash.getMaglev().getTableSize() != 0) {
          c.getMaglevLbConfigBuilder().setTableSize(UInt64Value.of(hash.getMaglev().getTableSize()));
        }
      }
      case RING_HASH -> {
        c.setLbPolicy(Cluster.LbPolicy.RING_HASH);
        if (hash.getRingHash().getMinimumRingSize() != 0) {
          c.getRingHashLbConfigBuilder().setMinimumRingSize(UInt64Value.of(hash.getRingHash().getMinimumRingSize()));
        }
      }
      default -> {
        long size = hash.getMinimumRingSize() != 0 ? hash.getMinimumRingSize() : DEFAULT_MIN_RING_SIZE;
        c.setLbPolicy(Cluster.LbPolicy.RING_HASH);
        c.getRingHashLbConfigBuilder().setMinimumRingSize(UInt64Value.of(size));
      }
    }
  }
}
