package dev.istiod.xds.grpcgen;

import dev.istiod.api.networking.v1alpha3.DestinationRule;
import dev.istiod.api.networking.v1alpha3.LoadBalancerSettings;
import dev.istiod.api.networking.v1alpha3.Subset;
import dev.istiod.api.networking.v1alpha3.TrafficPolicy;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the clusters proxyless gRPC understands: EDS over ADS, a load-balancing policy it
 * implements, and nothing else.
 *
 * <p>What is left out on purpose: Istio's sidecar clusters carry {@code transport_socket_matches}
 * (gRPC NACKs them), connection-pool circuit breakers and outlier detection it parses
 * differently, and TLS: upstream's grpcgen only emits TLS for an explicit {@code ISTIO_MUTUAL},
 * which also needs certificate providers in the client's bootstrap; that arrives with the
 * security work and is logged here meanwhile.
 */
final class GrpcClusterBuilder {

  private static final Logger log = LoggerFactory.getLogger(GrpcClusterBuilder.class);

  private GrpcClusterBuilder() {}

  /**
   * The cluster {@code key} names, shaped by the DestinationRule's policy for its port and subset
   * (if any). Empty when {@code key} names a subset the rule does not define.
   */
  static Optional<Cluster> build(SubsetKey key, Optional<DestinationRule> rule) {
    TrafficPolicy top = rule.map(DestinationRule::getTrafficPolicy).orElse(TrafficPolicy.getDefaultInstance());
    TrafficPolicy subsetPolicy = TrafficPolicy.getDefaultInstance();
    if (!key.subset().isEmpty()) {
      Optional<Subset> subset = rule.flatMap(r -> subset(r, key.subset()));
      if (subset.isEmpty()) {
        return Optional.empty();
      }
      subsetPolicy = subset.get().getTrafficPolicy();
    }
    LoadBalancerSettings lb = loadBalancer(top, subsetPolicy, key.port());
    Cluster.Builder c = Cluster.newBuilder()
        .setName(key.name())
        .setType(Cluster.DiscoveryType.EDS)
        .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder()
            .setEdsConfig(GrpcListenerBuilder.ads())
            .setServiceName(key.name()))
        .setLbPolicy(lbPolicy(lb, key));
    if (top.hasTls() || subsetPolicy.hasTls()) {
      log.debug("{}: DestinationRule TLS settings are not applied to proxyless gRPC yet", key.name());
    }
    return Optional.of(c.build());
  }

  static Optional<Subset> subset(DestinationRule rule, String name) {
    return rule.getSubsetsList().stream().filter(s -> s.getName().equals(name)).findFirst();
  }

  /** Subset policy over port-level policy over the rule's top-level policy, as upstream merges them. */
  private static LoadBalancerSettings loadBalancer(TrafficPolicy top, TrafficPolicy subset, int port) {
    if (subset.hasLoadBalancer()) {
      return subset.getLoadBalancer();
    }
    for (TrafficPolicy.PortTrafficPolicy p : subset.getPortLevelSettingsList()) {
      if (p.getPort().getNumber() == port && p.hasLoadBalancer()) {
        return p.getLoadBalancer();
      }
    }
    for (TrafficPolicy.PortTrafficPolicy p : top.getPortLevelSettingsList()) {
      if (p.getPort().getNumber() == port && p.hasLoadBalancer()) {
        return p.getLoadBalancer();
      }
    }
    return top.getLoadBalancer();
  }

  private static Cluster.LbPolicy lbPolicy(LoadBalancerSettings lb, SubsetKey key) {
    if (lb.getLbPolicyCase() == LoadBalancerSettings.LbPolicyCase.CONSISTENT_HASH) {
      log.warn("{}: consistent-hash load balancing is not supported for proxyless gRPC; using ROUND_ROBIN",
          key.name());
      return Cluster.LbPolicy.ROUND_ROBIN;
    }
    return switch (lb.getSimple()) {
      case LEAST_REQUEST, LEAST_CONN -> Cluster.LbPolicy.LEAST_REQUEST;
      case UNSPECIFIED, ROUND_ROBIN -> Cluster.LbPolicy.ROUND_ROBIN;
      default -> {
        log.warn("{}: load balancer {} is not supported for proxyless gRPC; using ROUND_ROBIN",
            key.name(), lb.getSimple());
        yield Cluster.LbPolicy.ROUND_ROBIN;
      }
    };
  }
}
