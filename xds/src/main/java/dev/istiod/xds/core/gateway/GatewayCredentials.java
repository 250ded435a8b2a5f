package dev.istiod.xds.core.gateway;

/**
 * Which certificate sources beyond files the connected gateway can use: the seam where SDS
 * plugs in. Upstream serves both. Servers that need a source that is off are left out with an
 * error naming the reason, rather than sent with references Envoy would wait on forever.
 * {@code credentialName} over ADS is on when istiod has a credentials source (a cluster's
 * Secrets, see {@code SdsGenerator}).
 *
 * @param credentialNamesOverAds {@code credentialName}/{@code credentialNames} secrets are
 *     served by istiod's SDS generator over ADS ({@code kubernetes://<name>} and
 *     {@code kubernetes://<name>-cacert}, ISTIO-COMPAT §3–4).
 * @param workloadCertificateFromAgent pilot-agent serves the workload certificate
 *     ({@code default}) and trust bundle ({@code ROOTCA}) on the bootstrap cluster
 *     {@code sds-grpc}, which ISTIO_MUTUAL servers use: on for gateways pilot-agent bootstrapped
 *     ({@code AgentSds#available}).
 */
public record GatewayCredentials(boolean credentialNamesOverAds, boolean workloadCertificateFromAgent) {
  /** Files only. */
  public static final GatewayCredentials DEFAULT = new GatewayCredentials(false, false);
  /** Upstream istiod with pilot-agent: both sources. */
  public static final GatewayCredentials UPSTREAM = new GatewayCredentials(true, true);

  /** These sources, with {@code credentialName} over ADS on or off. */
  public GatewayCredentials withCredentialNamesOverAds(boolean on) {
    return new GatewayCredentials(on, workloadCertificateFromAgent);
  }
}
