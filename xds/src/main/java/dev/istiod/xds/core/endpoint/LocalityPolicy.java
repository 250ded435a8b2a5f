package dev.istiod.xds.core.endpoint;

import dev.istiod.api.networking.v1alpha3.LocalityLoadBalancerSetting;
import dev.istiod.api.networking.v1alpha3.TrafficPolicy;
import dev.istiod.model.Endpoint;
import dev.istiod.model.Locality;
import dev.istiod.model.ServicePort;
import dev.istiod.model.ServiceTarget;
import dev.istiod.model.push.ResolvedDestinationRule;
import dev.istiod.xds.core.ProxyInputs;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import java.util.List;
import java.util.Optional;

/**
 * Applies the locality load balancing a cluster's policy asks for to its endpoint groups, for one
 * proxy. Shared by EDS and by the inline load assignments of DNS and static clusters, so both
 * see the same weights and priorities.
 */
public final class LocalityPolicy {
  private LocalityPolicy() {}

  /**
   * The groups for {@code port}/{@code subset} as the proxy should see them: unchanged when no
   * locality setting is in force, else weighted ({@code distribute}) or prioritised (failover,
   * only when the effective policy has outlier detection).
   */
  public static List<LocalityLbEndpoints> apply(ProxyInputs in, Optional<ResolvedDestinationRule> dr, ServicePort port,
      String subset, List<LocalityGroup> groups) {
    TrafficPolicy policy = ResolvedDestinationRule.effectivePolicy(dr, port.port(), subset, in.mesh());
    Optional<LocalityLoadBalancerSetting> setting = LocalityLoadBalancer.effectiveSetting(in.mesh(), policy.getLoadBalancer());
    if (setting.isEmpty() || groups.isEmpty()) {
      return LocalityGroup.envoy(groups);
    }
    Locality locality = proxyLocality(in);
    return LocalityLoadBalancer.apply(groups, locality, LocalityLoadBalancer.proxyLabels(in.proxy(), locality),
        setting.get(), policy.hasOutlierDetection());
  }

  /**
   * Where the proxy runs: the locality its Envoy announces, else (as upstream does for proxies
   * whose node has none) the locality of its own workload's endpoint in the registry.
   */
  public static Locality proxyLocality(ProxyInputs in) {
    if (!in.proxy().locality().isEmpty()) {
      return in.proxy().locality();
    }
    for (ServiceTarget t : in.serviceTargets()) {
      for (Endpoint e : in.push().endpoints(t.service().key())) {
        if (!e.locality().isEmpty() && in.proxy().ipAddresses().contains(e.address())) {
          return e.locality();
        }
      }
    }
    return Locality.NONE;
  }
}
