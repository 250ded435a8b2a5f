package dev.istiod.xds.core.security;

import dev.istiod.api.networking.v1alpha3.ClientTLSSettings;
import dev.istiod.api.networking.v1alpha3.Subset;
import dev.istiod.api.networking.v1alpha3.TrafficPolicy;
import dev.istiod.model.Endpoint;
import dev.istiod.model.push.PeerAuthenticationIndex;
import dev.istiod.model.push.PeerAuthenticationIndex.MutualTlsMode;
import dev.istiod.model.push.ResolvedDestinationRule;
import java.util.Optional;

/**
 * Which endpoints of a cluster are marked {@code tlsMode: istio} (the metadata the cluster's
 * {@code transport_socket_matches} select mTLS by), as upstream's EDS {@code mtlsChecker}: a
 * DestinationRule TLS mode for the cluster decides outright (only ISTIO_MUTUAL marks); otherwise
 * the endpoint must have a sidecar and its workload's PeerAuthentication must not DISABLE mTLS on
 * its port, so clients never send mTLS to a server that only takes plaintext.
 *
 * <p>The marking is only metadata; without {@code transport_socket_matches} (bare Envoys, see
 * {@link AgentSds}) it changes nothing.
 */
public final class EndpointMtls {
  /** The metadata namespace Envoy matches {@code transport_socket_matches} against. */
  public static final String TRANSPORT_SOCKET_MATCH = "envoy.transport_socket_match";
  static final String TLS_MODE_KEY = "tlsMode";
  static final String TLS_MODE_ISTIO = "istio";

  private final PeerAuthenticationIndex policies;
  private final String namespace;
  private final Optional<ClientTLSSettings.TLSmode> ruleMode;

  private EndpointMtls(PeerAuthenticationIndex policies, String namespace, Optional<ClientTLSSettings.TLSmode> ruleMode) {
    this.policies = policies;
    this.namespace = namespace;
    this.ruleMode = ruleMode;
  }

  /**
   * @param namespace the namespace of the service's workloads (endpoints live with their service)
   * @param servicePort the service port of the cluster
   * @param subset the cluster's subset, "" for the service's own cluster
   */
  public static EndpointMtls of(PeerAuthenticationIndex policies, String namespace, int servicePort, String subset,
      Optional<ResolvedDestinationRule> dr) {
    return new EndpointMtls(policies, namespace, dr.flatMap(d -> ruleMode(d, subset, servicePort)));
  }

  /** True when the endpoint should carry {@code envoy.transport_socket_match: {tlsMode: istio}}. */
  public boolean enabled(Endpoint e) {
    if (ruleMode.isPresent()) {
      return ruleMode.get() == ClientTLSSettings.TLSmode.ISTIO_MUTUAL;
    }
    if (e.tlsMode() != Endpoint.TlsMode.ISTIO) {
      return false;
    }
    return policies.forWorkload(namespace, e.labels()).forPort(e.port()) != MutualTlsMode.DISABLE;
  }

  /**
   * The TLS mode the rule sets for the cluster, as upstream's {@code tlsModeForDestinationRule}:
   * a subset looks only at its own policy (not the rule's top level), a port-level setting with
   * TLS wins over the policy's own.
   */
  static Optional<ClientTLSSettings.TLSmode> ruleMode(ResolvedDestinationRule dr, String subset, int port) {
    if (subset.isEmpty()) {
      return policyMode(dr.rule().getTrafficPolicy(), port);
    }
    return dr.rule().getSubsetsList().stream().filter(s -> s.getName().equals(subset)).findFirst()
        .map(Subset::getTrafficPolicy).flatMap(p -> policyMode(p, port));
  }

  private static Optional<ClientTLSSettings.TLSmode> policyMode(TrafficPolicy policy, int port) {
    for (TrafficPolicy.PortTrafficPolicy p : policy.getPortLevelSettingsList()) {
      if (p.getPort().getNumber() == port && p.hasTls()) {
        return Optional.of(p.getTls().getMode());
      }
    }
    return policy.hasTls() ? Optional.of(policy.getTls().getMode()) : Optional.empty();
  }
}
