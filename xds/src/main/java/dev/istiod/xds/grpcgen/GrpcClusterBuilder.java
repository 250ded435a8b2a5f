package dev.istiod.xds.grpcgen;

import dev.istiod.api.networking.v1alpha3.ClientTLSSettings;
import dev.istiod.api.networking.v1alpha3.DestinationRule;
import dev.istiod.api.networking.v1alpha3.LoadBalancerSettings;
import dev.istiod.api.networking.v1alpha3.Subset;
import dev.istiod.api.networking.v1alpha3.TrafficPolicy;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the clusters proxyless gRPC understands: EDS over ADS, a load-balancing policy it
 * implements, and Istio mTLS only where a DestinationRule asks for {@code ISTIO_MUTUAL}.
 *
 * <p>What is left out on purpose: Istio's sidecar clusters carry {@code transport_socket_matches}
 * (gRPC NACKs them), and connection-pool and outlier-detection settings, which gRPC parses
 * differently. As upstream's grpcgen, mTLS is never automatic: gRPC cannot tell whether the
 * application dialled with xDS credentials, nor reach a PERMISSIVE server with Istio's ALPN, so
 * only an explicit {@code ISTIO_MUTUAL} gets a TLS transport socket, whose certificates come from
 * the certificate provider instance {@code default} of the client's bootstrap (Istio's
 * grpc-agent bootstrap defines it; a client without it NACKs such a cluster, as with upstream).
 */
final class GrpcClusterBuilder {

  private static final Logger log = LoggerFactory.getLogger(GrpcClusterBuilder.class);

  private GrpcClusterBuilder() {}

  /**
   * The cluster {@code key} names, shaped by the DestinationRule's policy for its port and subset
   * (if any). Empty when {@code key} names a subset the rule does not define.
   */
  static Optional<Cluster> build(SubsetKey key, Optional<DestinationRule> rule, List<String> subjectAltNames) {
    TrafficPolicy top = rule.map(DestinationRule::getTrafficPolicy).orElse(TrafficPolicy.getDefaultInstance());
    TrafficPolicy subsetPolicy = TrafficPolicy.getDefaultInstance();
    if (!key.subset().isEmpty()) {
      Optional<Subset> subset = rule.flatMap(r -> subset(r, key.subset()));
      if (subset.isEmpty()) {
        return Optional.empty();
      }
      subsetPolicy = subset.get().getTrafficPolicy();
    }
    LoadBalancerSettings lb = pick(top, subsetPolicy, key.port(), TrafficPolicy::hasLoadBalancer,
        TrafficPolicy.PortTrafficPolicy::hasLoadBalancer, TrafficPolicy::getLoadBalancer,
        TrafficPolicy.PortTrafficPolicy::getLoadBalancer);
    ClientTLSSettings tls = pick(top, subsetPolicy, key.port(), TrafficPolicy::hasTls,
        TrafficPolicy.PortTrafficPolicy::hasTls, TrafficPolicy::getTls, TrafficPolicy.PortTrafficPolicy::getTls);
    Cluster.Builder c = Cluster.newBuilder()
        .setName(key.name())
        .setType(Cluster.DiscoveryType.EDS)
        .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder()
            .setEdsConfig(GrpcListenerBuilder.ads())
            .setServiceName(key.name()))
        .setLbPolicy(lbPolicy(lb, key));
    switch (tls.getMode()) {
      case ISTIO_MUTUAL -> c.setTransportSocket(GrpcTls.upstream(subjectAltNames));
      case SIMPLE, MUTUAL -> log.warn("{}: TLS mode {} is not supported for proxyless gRPC; sending plaintext",
          key.name(), tls.getMode());
      default -> { }
    }
    return Optional.of(c.build());
  }

  static Optional<Subset> subset(DestinationRule rule, String name) {
    return rule.getSubsetsList().stream().filter(s -> s.getName().equals(name)).findFirst();
  }

  /**
   * One setting as upstream merges traffic policies: the subset's (its port-level entry for the
   * port, else its own) over the rule's (port-level, else top-level).
   */
  private static <T> T pick(TrafficPolicy top, TrafficPolicy subset, int port,
      Predicate<TrafficPolicy> has, Predicate<TrafficPolicy.PortTrafficPolicy> portHas,
      Function<TrafficPolicy, T> get, Function<TrafficPolicy.PortTrafficPolicy, T> portGet) {
    for (TrafficPolicy policy : List.of(subset, top)) {
      for (TrafficPolicy.PortTrafficPolicy p : policy.getPortLevelSettingsList()) {
        if (p.getPort().getNumber() == port && portHas.test(p)) {
          return portGet.apply(p);
        }
      }
      if (has.test(policy)) {
        return get.apply(policy);
      }
    }
    return get.apply(top);
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
