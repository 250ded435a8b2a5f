package dev.istiod.xds.core.gateway;

/**
 * Which certificate sources beyond files the connected gateway can use: the seam where SDS
 * plugs in. Upstream serves both; this istiod does not serve them yet, so {@link #DEFAULT}
 * turns both off and servers that need them are left out with an error naming the reason,
 * rather than sent with references Envoy would wait on forever.
 *
 * @param credentialNamesOverAds {@code credentialName}/{@code credentialNames} secrets are
 *     served by istiod's SDS generator over ADS ({@code kubernetes://<name>} and
 *     {@code kubernetes://<name>-cacert}, ISTIO-COMPAT §3–4). Turn on when that generator exists.
 * @param workloadCertificateFromAgent pilot-agent serves the workload certificate
 *     ({@code default}) and trust bundle ({@code ROOTCA}) on the bootstrap cluster
 *     {@code sds-grpc}, which ISTIO_MUTUAL servers use. Turn on with the CA issue.
 */
public record GatewayCredentials(boolean credentialNamesOverAds, boolean workloadCertificateFromAgent) {
  /** Today: files only. */
  public static final GatewayCredentials DEFAULT = new GatewayCredentials(false, false);
  /** Upstream istiod with pilot-agent: both sources. */
  public static final GatewayCredentials UPSTREAM = new GatewayCredentials(true, true);
}
