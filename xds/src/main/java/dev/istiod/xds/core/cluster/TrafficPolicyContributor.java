package dev.istiod.xds.core.cluster;

import dev.istiod.api.networking.v1alpha3.TrafficPolicy;
import dev.istiod.model.Service;
import dev.istiod.model.ServicePort;
import dev.istiod.model.push.ResolvedDestinationRule;
import dev.istiod.xds.core.EnvoyNames.Direction;
import dev.istiod.xds.core.ProxyInputs;
import java.util.Optional;

/**
 * One piece of a DestinationRule traffic policy applied to a cluster. Contributors run in the
 * order of {@link TrafficPolicies#OUTBOUND} / {@link TrafficPolicies#INBOUND}, which is
 * upstream's order: later pieces read what earlier ones set (locality failover needs outlier
 * detection, TLS ALPN needs the HTTP/2 decision).
 */
@FunctionalInterface
public interface TrafficPolicyContributor {
  /**
   * What the policy is applied to.
   *
   * @param service the destination service (for inbound: the service the workload implements);
   *     null for the passthrough clusters
   * @param port the service port; null for the passthrough clusters
   * @param policy the effective policy for this port and subset, after upstream's merge rules;
   *     the default instance when no DestinationRule applies
   * @param rule the DestinationRule the policy came from, if any
   */
  record Context(ProxyInputs inputs, Service service, ServicePort port, TrafficPolicy policy, Direction direction,
      Optional<ResolvedDestinationRule> rule) {

    Context(ProxyInputs inputs, Service service, ServicePort port, TrafficPolicy policy, Direction direction) {
      this(inputs, service, port, policy, direction, Optional.empty());
    }

    /** True when the rule selects workloads: such rules may hand credentials to the sidecars they select. */
    boolean ruleHasWorkloadSelector() {
      return rule.flatMap(ResolvedDestinationRule::workloadSelector).isPresent();
    }
  }

  void apply(Context ctx, ClusterDraft draft);
}
