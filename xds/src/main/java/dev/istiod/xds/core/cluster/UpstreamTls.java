package dev.istiod.xds.core.cluster;

import com.google.protobuf.Any;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.networking.v1alpha3.ClientTLSSettings;
import dev.istiod.model.Service;
import dev.istiod.xds.core.CredentialSds;
import dev.istiod.xds.core.EnvoyNames;
import dev.istiod.xds.core.security.OutboundMtls;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.core.v3.UpstreamHttpProtocolOptions;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS origination ({@code trafficPolicy.tls}) as upstream's {@code cluster_tls.go}: an
 * {@code UpstreamTlsContext} transport socket for SIMPLE and MUTUAL, TLS 1.2 to 1.3, SNI from the
 * rule or else from each request's host ({@code auto_sni}), certificate SANs from the rule, else
 * the ServiceEntry's {@code subjectAltNames}, else the request's host
 * ({@code auto_san_validation}), {@code h2} ALPN for HTTP/2 clusters.
 *
 * <p>Certificates named by file path are read by Envoy itself (inline file data sources), so a
 * plain upstream Envoy without pilot-agent can use them; upstream istiod instead asks the agent
 * for them over SDS ({@code file-cert:}/{@code file-root:} names). A SIMPLE rule without
 * {@code caCertificates} verifies against the system trust store, as upstream's
 * {@code file-root:system}: Envoy's {@code system_root_certs}, or the OS bundle file when SANs
 * must be matched (Envoy does not match SANs against its built-in roots). A certificate file
 * missing on the proxy makes Envoy reject the update, where upstream's SDS would leave the
 * cluster warming: the price of serving a bare Envoy.
 *
 * <p>{@code ISTIO_MUTUAL} and automatic mTLS (no TLS in the rule) are built by
 * {@link OutboundMtls}, for proxies with pilot-agent's SDS. Seam for a later issue: {@code credentialName}
 * is served over SDS once gateways' SDS lands, in {@link #fromCredential}; until then such
 * clusters are not sent at all (fail closed) rather than sent in plaintext to a TLS server.
 */
final class UpstreamTls {
  private static final Logger log = LoggerFactory.getLogger(UpstreamTls.class);
  static final String TRANSPORT_SOCKET_TLS = "envoy.transport_sockets.tls";
  static final String CONFIGMAP_PREFIX = "configmap://";
  static final List<String> ALPN_H2 = List.of("h2");
  /** The OS trust bundle in Debian/Ubuntu-based images (upstream Envoy's and istio-proxy's). */
  static final String SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

  static final TrafficPolicyContributor TLS = UpstreamTls::apply;

  private UpstreamTls() {}

  private static void apply(TrafficPolicyContributor.Context ctx, ClusterDraft d) {
    if (!ctx.policy().hasTls()) {
      if (ctx.service() != null && ctx.port() != null) {
        OutboundMtls.auto(ctx.inputs(), ctx.service(), ctx.port(), ctx.rule(), d.isHttp2(), d.cluster());
      }
      return;
    }
    ClientTLSSettings tls = ctx.policy().getTls();
    switch (tls.getMode()) {
      case DISABLE -> { }
      case ISTIO_MUTUAL -> istioMutual(ctx, tls, d);
      case SIMPLE, MUTUAL -> {
        if (!tls.getCredentialName().isEmpty()) {
          fromCredential(ctx, tls, d);
        } else {
          fromFiles(ctx, tls, d);
        }
      }
      default -> d.reject("unknown TLS mode " + tls.getModeValue());
    }
  }

  /**
   * Istio mTLS with the workload certificate and trust bundle from the agent's SDS
   * ({@link OutboundMtls#explicit}). A proxy without an agent has neither: its cluster stays as
   * it would be without TLS rather than cutting the service off (such proxies' servers get
   * plaintext chains too, see {@code InboundMtls}).
   */
  static void istioMutual(TrafficPolicyContributor.Context ctx, ClientTLSSettings tls, ClusterDraft d) {
    if (ctx.service() == null || ctx.port() == null
        || !OutboundMtls.explicit(ctx.inputs(), ctx.service(), ctx.port(), tls, d.isHttp2(), d.cluster())) {
      log.debug("{}: ISTIO_MUTUAL needs the agent's SDS, which this proxy lacks; sending plaintext",
          d.cluster().getName());
    }
  }

  /**
   * {@code credentialName}: the certificate (MUTUAL) and the CA bundle ({@code <name>-cacert})
   * come over SDS from istiod itself (upstream's {@code ApplyCustomSDSToClientCommonTLSContext}).
   * Upstream ignores credentials on sidecars unless the rule selects workloads (so a secret is not
   * handed to every sidecar), leaving the cluster in plaintext. Without a credentials source, or
   * for {@code configmap://} CA references (not served here), the cluster is not sent at all.
   */
  static void fromCredential(TrafficPolicyContributor.Context ctx, ClientTLSSettings tls, ClusterDraft d) {
    String credential = tls.getCredentialName();
    boolean privileged = !credential.startsWith(CONFIGMAP_PREFIX);
    if (privileged && ctx.inputs().proxy().isSidecar() && !ctx.ruleHasWorkloadSelector()) {
      log.debug("{}: credentialName ignored on a sidecar without workloadSelector, as upstream", d.cluster().getName());
      return;
    }
    if (!privileged || !ctx.inputs().push().environment().hasCredentials()) {
      d.reject("tls credentialName " + credential + " needs SDS from "
          + (privileged ? "a credentials source (Kubernetes Secrets), which this istiod does not have" : "ConfigMaps, which this istiod does not serve"));
      return;
    }
    boolean insecure = tls.getInsecureSkipVerify().getValue();
    setAutoSniAndSanValidation(tls, insecure, d);
    CommonTlsContext.Builder common = commonContext(ctx.inputs().mesh());
    if (tls.getMode() == ClientTLSSettings.TLSmode.MUTUAL) {
      common.addTlsCertificateSdsSecretConfigs(CredentialSds.overAds(EnvoyNames.credentialSecret(credential)));
    }
    if (!insecure) {
      List<String> sans = tls.getSubjectAltNamesList();
      Service service = ctx.service();
      if (sans.isEmpty() && service != null && service.registry() == Service.Registry.SERVICE_ENTRY) {
        sans = service.subjectAltNames();
      }
      CertificateValidationContext.Builder v = CertificateValidationContext.newBuilder();
      sans.forEach(san -> v.addMatchSubjectAltNames(StringMatcher.newBuilder().setExact(san)));
      common.getCombinedValidationContextBuilder().setDefaultValidationContext(v)
          .setValidationContextSdsSecretConfig(CredentialSds.overAds(EnvoyNames.credentialCaSecret(credential)));
    }
    if (d.isHttp2()) {
      common.addAllAlpnProtocols(ALPN_H2);
    }
    UpstreamTlsContext context = UpstreamTlsContext.newBuilder().setCommonTlsContext(common).setSni(tls.getSni()).build();
    d.cluster().setTransportSocket(TransportSocket.newBuilder().setName(TRANSPORT_SOCKET_TLS).setTypedConfig(Any.pack(context)));
  }

  private static void fromFiles(TrafficPolicyContributor.Context ctx, ClientTLSSettings tls, ClusterDraft d) {
    boolean mutual = tls.getMode() == ClientTLSSettings.TLSmode.MUTUAL;
    if (mutual && (tls.getClientCertificate().isEmpty() || tls.getPrivateKey().isEmpty())) {
      d.reject("MUTUAL tls needs both clientCertificate and privateKey");
      return;
    }
    boolean insecure = tls.getInsecureSkipVerify().getValue();
    setAutoSniAndSanValidation(tls, insecure, d);
    List<String> sans = tls.getSubjectAltNamesList();
    Service service = ctx.service();
    if (sans.isEmpty() && service != null && service.registry() == Service.Registry.SERVICE_ENTRY) {
      sans = service.subjectAltNames();
    }
    CommonTlsContext.Builder common = commonContext(ctx.inputs().mesh());
    if (mutual) {
      common.addTlsCertificates(TlsCertificate.newBuilder()
          .setCertificateChain(file(tls.getClientCertificate()))
          .setPrivateKey(file(tls.getPrivateKey())));
    }
    CertificateValidationContext.Builder validation = common.getValidationContextBuilder();
    if (!insecure) {
      if (!tls.getCaCertificates().isEmpty()) {
        validation.setTrustedCa(file(tls.getCaCertificates()));
      } else if (sans.isEmpty()) {
        validation.getSystemRootCertsBuilder();
      } else {
        // Envoy refuses SAN matching against its built-in system roots ("without trusted CA"),
        // so the OS bundle is named as a file, as pilot-agent does for file-root:system.
        validation.setTrustedCa(file(SYSTEM_CA_BUNDLE));
      }
      sans.forEach(san -> validation.addMatchSubjectAltNames(StringMatcher.newBuilder().setExact(san)));
      if (!tls.getCaCrl().isEmpty()) {
        validation.setCrl(file(tls.getCaCrl()));
      }
    }
    if (d.isHttp2()) {
      common.addAllAlpnProtocols(ALPN_H2);
    }
    UpstreamTlsContext context = UpstreamTlsContext.newBuilder().setCommonTlsContext(common).setSni(tls.getSni()).build();
    d.cluster().setTransportSocket(TransportSocket.newBuilder().setName(TRANSPORT_SOCKET_TLS).setTypedConfig(Any.pack(context)));
  }

  /**
   * Without an explicit SNI Envoy sends each request's host ({@code auto_sni}); when the rule
   * also names no SANs (and verifies at all) the certificate must match that host.
   */
  private static void setAutoSniAndSanValidation(ClientTLSSettings tls, boolean insecure, ClusterDraft d) {
    boolean autoSni = tls.getSni().isEmpty();
    boolean autoSan = autoSni && tls.getSubjectAltNamesCount() == 0 && !insecure;
    if (!autoSni && !autoSan) {
      return;
    }
    UpstreamHttpProtocolOptions.Builder o = d.httpOptions().getUpstreamHttpProtocolOptionsBuilder();
    if (autoSni) {
      o.setAutoSni(true);
    }
    if (autoSan) {
      o.setAutoSanValidation(true);
    }
  }

  /** TLS 1.2 to 1.3, with the mesh's curve and cipher defaults if it sets any. */
  static CommonTlsContext.Builder commonContext(MeshConfig mesh) {
    TlsParameters.Builder params = TlsParameters.newBuilder()
        .setTlsMinimumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_2)
        .setTlsMaximumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3);
    if (mesh.hasTlsDefaults()) {
      params.addAllEcdhCurves(mesh.getTlsDefaults().getEcdhCurvesList());
      params.addAllCipherSuites(mesh.getTlsDefaults().getCipherSuitesList());
    }
    return CommonTlsContext.newBuilder().setTlsParams(params);
  }

  private static DataSource file(String path) {
    return DataSource.newBuilder().setFilename(path).build();
  }
}
