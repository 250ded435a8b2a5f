package dev.istiod.xds.core.security;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The TLS contexts of Istio mutual TLS between sidecars, as upstream builds them: clients present
 * the workload certificate, verify the server against the mesh root and the destination's
 * service accounts, and announce Istio ALPNs so the server can tell mesh traffic from other TLS;
 * servers require a client certificate from the mesh root whose SPIFFE id is in a trusted trust
 * domain. Both sides get their certificates from the agent ({@link AgentSds}).
 *
 * <p>The ALPN values are upstream's with metadata exchange on (its default): plain strings to an
 * upstream Envoy, and what an istio-proxy peer expects.
 */
public final class IstioMtls {
  public static final String TLS_TRANSPORT_SOCKET = "envoy.transport_sockets.tls";
  public static final String RAW_BUFFER_TRANSPORT_SOCKET = "envoy.transport_sockets.raw_buffer";
  /** Client ALPN of an in-mesh cluster ({@code ALPNInMeshWithMxc}). */
  static final List<String> ALPN_IN_MESH = List.of("istio-peer-exchange", "istio");
  /** Client ALPN of an in-mesh HTTP/2 cluster ({@code ALPNInMeshH2WithMxc}). */
  static final List<String> ALPN_IN_MESH_H2 = List.of("istio-peer-exchange", "istio", "h2");
  /** Server ALPN of TCP chains ({@code ALPNDownstreamWithMxc}). */
  static final List<String> ALPN_DOWNSTREAM_TCP = List.of("istio-peer-exchange", "h2", "http/1.1");
  /**
   * Server ALPN of HTTP chains ({@code ALPNHttp}): never "istio", which would stand in the way of
   * negotiating the real protocol.
   */
  static final List<String> ALPN_DOWNSTREAM_HTTP = List.of("h2", "http/1.1");
  /** Upstream's {@code SupportedCiphers} for sidecar servers. */
  static final List<String> SERVER_CIPHERS = List.of("ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
      "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-GCM-SHA256");
  static final String SPIFFE_PREFIX = "spiffe://";

  private static final TransportSocket RAW_BUFFER = TransportSocket.newBuilder()
      .setName(RAW_BUFFER_TRANSPORT_SOCKET).setTypedConfig(Any.pack(RawBuffer.getDefaultInstance())).build();

  private IstioMtls() {}

  /**
   * ISTIO_MUTUAL origination, as upstream's {@code buildUpstreamClusterTLSContext}.
   *
   * @param subjectAltNames the identities the server may have (exact matches); empty accepts any
   *     certificate from the mesh root
   * @param sni the server name to send, {@code outbound_.<port>_.<subset>_.<host>} unless the
   *     rule names one
   */
  public static UpstreamTlsContext upstream(List<String> subjectAltNames, String sni, boolean http2) {
    CommonTlsContext.Builder common = CommonTlsContext.newBuilder()
        .setTlsParams(TlsParameters.newBuilder()
            .setTlsMinimumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_2)
            .setTlsMaximumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3))
        .addTlsCertificateSdsSecretConfigs(AgentSds.workloadCertificate())
        .addAllAlpnProtocols(http2 ? ALPN_IN_MESH_H2 : ALPN_IN_MESH);
    CertificateValidationContext.Builder validation = CertificateValidationContext.newBuilder();
    subjectAltNames.forEach(san -> validation.addMatchSubjectAltNames(StringMatcher.newBuilder().setExact(san)));
    common.getCombinedValidationContextBuilder()
        .setDefaultValidationContext(validation)
        .setValidationContextSdsSecretConfig(AgentSds.rootCa());
    return UpstreamTlsContext.newBuilder().setCommonTlsContext(common).setSni(sni).build();
  }

  /**
   * A sidecar's server side of mesh mTLS, as upstream's {@code BuildInboundTLS}: client
   * certificate required, its SPIFFE id in one of the mesh's trust domains, TLS 1.2 (or the
   * mesh's {@code meshMTLS.minProtocolVersion}) to 1.3 with upstream's server ciphers unless the
   * mesh names its own.
   *
   * @param tcp true for TCP chains, which also offer {@code istio-peer-exchange}
   */
  public static DownstreamTlsContext downstream(MeshConfig mesh, boolean tcp) {
    MeshConfig.TLSConfig meshMtls = mesh.getMeshMTLS();
    TlsParameters.Builder params = TlsParameters.newBuilder()
        .addAllCipherSuites(meshMtls.getCipherSuitesCount() > 0 ? meshMtls.getCipherSuitesList() : SERVER_CIPHERS)
        .setTlsMinimumProtocolVersion(meshMtls.getMinProtocolVersion() == MeshConfig.TLSConfig.TLSProtocol.TLSV1_3
            ? TlsParameters.TlsProtocol.TLSv1_3 : TlsParameters.TlsProtocol.TLSv1_2)
        .setTlsMaximumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3);
    CertificateValidationContext.Builder validation = CertificateValidationContext.newBuilder();
    for (String td : trustDomains(mesh)) {
      validation.addMatchSubjectAltNames(StringMatcher.newBuilder().setPrefix(SPIFFE_PREFIX + td + "/"));
    }
    CommonTlsContext.Builder common = CommonTlsContext.newBuilder()
        .setTlsParams(params)
        .addAllAlpnProtocols(tcp ? ALPN_DOWNSTREAM_TCP : ALPN_DOWNSTREAM_HTTP)
        .addTlsCertificateSdsSecretConfigs(AgentSds.workloadCertificate());
    common.getCombinedValidationContextBuilder()
        .setDefaultValidationContext(validation)
        .setValidationContextSdsSecretConfig(AgentSds.rootCa());
    return DownstreamTlsContext.newBuilder().setCommonTlsContext(common)
        .setRequireClientCertificate(BoolValue.of(true)).build();
  }

  /**
   * Trust domains a peer's identity may be in, as upstream's {@code TrustDomainsForValidation}:
   * the mesh's, its aliases, and those of extra CA certificates, without blanks or repeats.
   */
  public static List<String> trustDomains(MeshConfig mesh) {
    Set<String> out = new LinkedHashSet<>();
    out.add(mesh.getTrustDomain());
    out.addAll(mesh.getTrustDomainAliasesList());
    mesh.getCaCertificatesList().forEach(c -> out.addAll(c.getTrustDomainsList()));
    out.remove("");
    return List.copyOf(out);
  }

  /**
   * SPIFFE ids plus each of them in every trust-domain alias, sorted, as upstream's
   * {@code ExpandWithTrustDomains}: a server may present a certificate of an alias domain.
   */
  public static List<String> expandTrustDomains(Set<String> identities, MeshConfig mesh) {
    Set<String> out = new java.util.TreeSet<>(identities);
    List<String> domains = new ArrayList<>(mesh.getTrustDomainAliasesList());
    if (!domains.isEmpty()) {
      for (String id : identities) {
        if (!id.startsWith(SPIFFE_PREFIX)) {
          continue;
        }
        int slash = id.indexOf('/', SPIFFE_PREFIX.length());
        if (slash < 0) {
          continue;
        }
        String path = id.substring(slash);
        domains.stream().filter(td -> !td.isEmpty()).forEach(td -> out.add(SPIFFE_PREFIX + td + path));
      }
    }
    return List.copyOf(out);
  }

  public static TransportSocket tlsSocket(com.google.protobuf.Message context) {
    return TransportSocket.newBuilder().setName(TLS_TRANSPORT_SOCKET).setTypedConfig(Any.pack(context)).build();
  }

  /** The plaintext socket of the {@code tlsMode-disabled} match. */
  public static TransportSocket rawBuffer() {
    return RAW_BUFFER;
  }
}
