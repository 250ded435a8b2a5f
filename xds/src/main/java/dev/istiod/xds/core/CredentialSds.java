package dev.istiod.xds.core;

import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;

/**
 * References to {@code credentialName} secrets, which istiod itself serves over the proxy's ADS
 * stream (upstream's {@code ConstructSdsSecretConfigForCredential} with {@code SDSAdsConfig}):
 * the one home of that reference's shape, used by gateway servers and DestinationRule TLS.
 */
public final class CredentialSds {
  private CredentialSds() {}

  /**
   * An SDS reference over ADS. Unlike other ADS sources there is no zero initial fetch timeout: a
   * secret that does not exist (or that the proxy may not read) must not block the whole
   * listener or cluster forever.
   *
   * @param resourceName an SDS resource name, e.g. from {@link EnvoyNames#credentialSecret}
   */
  public static SdsSecretConfig overAds(String resourceName) {
    return SdsSecretConfig.newBuilder().setName(resourceName).setSdsConfig(ConfigSource.newBuilder()
        .setAds(AggregatedConfigSource.getDefaultInstance())
        .setResourceApiVersion(ApiVersion.V3)).build();
  }
}
