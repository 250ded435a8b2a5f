package dev.istiod.xds.core.cluster;

import dev.istiod.api.networking.v1alpha3.TrafficPolicy;
import dev.istiod.model.Service;
import dev.istiod.model.ServicePort;
import dev.istiod.xds.core.EnvoyNames.Direction;
import dev.istiod.xds.core.ProxyInputs;

/**
 * One piece of a DestinationRule traffic policy applied to a cluster. Contributors run in the
 * order of {@link TrafficPolicies#OUTBOUND} / {@link TrafficPolicies#INBOUND}; issue 3's outlier
 * detection, TLS origination, consistent hash and locality settings are further contributors.
 */
@FunctionalInterface
public interface TrafficPolicyContributor {
  /**
   * What the policy is applied to.
   *
   * @param service the destination service (for inbound: the service the workload implements)
   * @param policy the effective policy for this port and subset, after upstream's merge rules;
   *     the default instance when no DestinationRule applies
   */
  record Context(ProxyInputs inputs, Service service, ServicePort port, TrafficPolicy policy, Direction direction) {}

  void apply(Context ctx, ClusterDraft draft);
}
