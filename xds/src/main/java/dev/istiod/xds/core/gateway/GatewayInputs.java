package dev.istiod.xds.core.gateway;

import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.security.AgentSds;
import java.util.Objects;

/**
 * What the gateway builders need about one gateway proxy in one push: the proxy's inputs and
 * its Gateways merged per port. Computed once per generation; the builders are otherwise
 * stateless.
 *
 * @param credentials where servers naming a {@code credentialName} get their certificates
 */
public record GatewayInputs(ProxyInputs in, MergedGateway merged, GatewayCredentials credentials) {
  public GatewayInputs {
    Objects.requireNonNull(in, "in");
    Objects.requireNonNull(merged, "merged");
    Objects.requireNonNull(credentials, "credentials");
  }

  /**
   * The proxy's Gateways (selected by its labels) merged, with the credential sources this
   * istiod serves: {@code credentialName} over SDS when the environment has a credentials source,
   * the workload certificate (ISTIO_MUTUAL servers) when pilot-agent bootstrapped the gateway
   * ({@link AgentSds#available}).
   */
  public static GatewayInputs of(ProxyInputs in) {
    return of(in, new GatewayCredentials(in.push().environment().hasCredentials(), AgentSds.available(in.proxy())));
  }

  public static GatewayInputs of(ProxyInputs in, GatewayCredentials credentials) {
    MergedGateway merged = GatewayMerger.merge(in.push().gatewaysFor(in.proxy()), in.serviceTargets());
    return new GatewayInputs(in, merged, credentials);
  }
}
