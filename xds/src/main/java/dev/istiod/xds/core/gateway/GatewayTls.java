package dev.istiod.xds.core.gateway;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.networking.v1alpha3.ServerTLSSettings;
import dev.istiod.api.networking.v1alpha3.ServerTLSSettings.TLSmode;
import dev.istiod.xds.core.EnvoyNames;
import io.envoyproxy.envoy.config.core.v3.ApiConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The downstream TLS context of a server whose TLS the gateway terminates, as upstream's
 * {@code BuildListenerTLSContext}: ALPN {@code h2,http/1.1}, a client certificate required for
 * MUTUAL (and verified if offered for OPTIONAL_MUTUAL), the server's TLS version and cipher
 * settings over the mesh's {@code tlsDefaults}.
 *
 * <p>Certificate sources, by what the server names:
 * <ul>
 *   <li>Files ({@code serverCertificate}, {@code privateKey}, {@code caCertificates},
 *       {@code tlsCertificates}): referenced inline by path, so Envoy reads them itself. Upstream
 *       hands the paths to pilot-agent over SDS ({@code file-cert:…}); inline paths also work for
 *       a bare Envoy without an agent, which is what this istiod serves today.</li>
 *   <li>{@code credentialName(s)}: SDS over ADS when {@link GatewayCredentials} says istiod serves
 *       it; otherwise the server is {@link Result.Unsupported}.</li>
 *   <li>ISTIO_MUTUAL: the workload certificate from the agent's SDS ({@code default},
 *       {@code ROOTCA}) when available; otherwise {@link Result.Unsupported}.</li>
 * </ul>
 */
final class GatewayTls {
  static final String TLS_TRANSPORT_SOCKET = "envoy.transport_sockets.tls";
  static final List<String> ALPN_HTTP = List.of("h2", "http/1.1");
  /** Cipher suites Envoy accepts by name (upstream's {@code ValidCipherSuites}); others are dropped, not sent. */
  static final Set<String> VALID_CIPHER_SUITES = Set.of(
      "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
      "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
      "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA",
      "AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-SHA", "AES256-SHA", "DES-CBC3-SHA");

  /** A context, or why the server cannot be served yet. */
  sealed interface Result {
    record Ready(DownstreamTlsContext context) implements Result {}

    record Unsupported(String reason) implements Result {}
  }

  private GatewayTls() {}

  static Result downstream(ServerTLSSettings tls, MeshConfig mesh, GatewayCredentials credentials) {
    TLSmode mode = tls.getMode();
    boolean requireClientCert = mode == TLSmode.MUTUAL || mode == TLSmode.ISTIO_MUTUAL;
    boolean validateClient = requireClientCert || mode == TLSmode.OPTIONAL_MUTUAL;
    CommonTlsContext.Builder common = CommonTlsContext.newBuilder().addAllAlpnProtocols(ALPN_HTTP);
    if (mode == TLSmode.ISTIO_MUTUAL) {
      if (!credentials.workloadCertificateFromAgent()) {
        return new Result.Unsupported("ISTIO_MUTUAL needs the workload certificate over SDS ("
            + EnvoyNames.SDS_WORKLOAD_CERTIFICATE + "/" + EnvoyNames.SDS_ROOT_CA + "), which this istiod does not serve yet");
      }
      workloadCertificate(common, tls.getSubjectAltNamesList());
    } else if (!tls.getCredentialName().isEmpty() || tls.getCredentialNamesCount() > 0) {
      if (!credentials.credentialNamesOverAds()) {
        return new Result.Unsupported("credentialName " + credentialNames(tls)
            + " needs SDS, which this istiod does not serve yet; use serverCertificate/privateKey files");
      }
      credentialSds(common, tls);
    } else {
      String missing = files(common, tls, validateClient);
      if (missing != null) {
        return new Result.Unsupported(missing);
      }
    }
    if (mode == TLSmode.SIMPLE || mode == TLSmode.MUTUAL || mode == TLSmode.OPTIONAL_MUTUAL) {
      tlsParameters(common, mesh.getTlsDefaults(), tls);
    }
    return new Result.Ready(DownstreamTlsContext.newBuilder()
        .setCommonTlsContext(common)
        .setRequireClientCertificate(BoolValue.of(requireClientCert))
        .build());
  }

  static TransportSocket transportSocket(DownstreamTlsContext context) {
    return TransportSocket.newBuilder().setName(TLS_TRANSPORT_SOCKET).setTypedConfig(Any.pack(context)).build();
  }

  private static List<String> credentialNames(ServerTLSSettings tls) {
    return tls.getCredentialNamesCount() > 0 ? tls.getCredentialNamesList() : List.of(tls.getCredentialName());
  }

  /** Files by path; returns what is missing, or null. */
  private static String files(CommonTlsContext.Builder common, ServerTLSSettings tls, boolean validateClient) {
    List<String[]> pairs = new ArrayList<>();
    if (tls.getTlsCertificatesCount() > 0) {
      tls.getTlsCertificatesList().forEach(c -> pairs.add(new String[] {c.getServerCertificate(), c.getPrivateKey()}));
    } else {
      pairs.add(new String[] {tls.getServerCertificate(), tls.getPrivateKey()});
    }
    for (String[] p : pairs) {
      if (p[0].isEmpty() || p[1].isEmpty()) {
        return "mode " + tls.getMode() + " has no serverCertificate/privateKey files and no credentialName";
      }
      common.addTlsCertificates(TlsCertificate.newBuilder()
          .setCertificateChain(DataSource.newBuilder().setFilename(p[0]))
          .setPrivateKey(DataSource.newBuilder().setFilename(p[1])));
    }
    if (validateClient) {
      if (tls.getCaCertificates().isEmpty()) {
        return "mode " + tls.getMode() + " verifies client certificates but has no caCertificates file";
      }
      CertificateValidationContext.Builder v = CertificateValidationContext.newBuilder()
          .setTrustedCa(DataSource.newBuilder().setFilename(tls.getCaCertificates()));
      tls.getSubjectAltNamesList().forEach(san -> v.addMatchSubjectAltNames(exact(san)));
      if (!tls.getCaCrl().isEmpty()) {
        v.setCrl(DataSource.newBuilder().setFilename(tls.getCaCrl()));
      }
      common.setValidationContext(v);
    }
    return null;
  }

  /** Upstream's {@code ApplyCredentialSDSToServerCommonTLSContext}. */
  private static void credentialSds(CommonTlsContext.Builder common, ServerTLSSettings tls) {
    List<String> names = credentialNames(tls);
    names.forEach(n -> common.addTlsCertificateSdsSecretConfigs(adsSecret(EnvoyNames.credentialSecret(n))));
    String ca = !tls.getCaCertCredentialName().isEmpty()
        ? EnvoyNames.credentialSecret(tls.getCaCertCredentialName()) : EnvoyNames.credentialCaSecret(names.get(0));
    if (tls.getMode() == TLSmode.MUTUAL || tls.getMode() == TLSmode.OPTIONAL_MUTUAL) {
      CertificateValidationContext.Builder v = CertificateValidationContext.newBuilder()
          .addAllVerifyCertificateSpki(tls.getVerifyCertificateSpkiList())
          .addAllVerifyCertificateHash(tls.getVerifyCertificateHashList());
      tls.getSubjectAltNamesList().forEach(san -> v.addMatchSubjectAltNames(exact(san)));
      common.getCombinedValidationContextBuilder().setDefaultValidationContext(v)
          .setValidationContextSdsSecretConfig(adsSecret(ca));
    } else if (tls.getSubjectAltNamesCount() > 0) {
      CertificateValidationContext.Builder v = CertificateValidationContext.newBuilder();
      tls.getSubjectAltNamesList().forEach(san -> v.addMatchSubjectAltNames(exact(san)));
      common.setValidationContext(v);
    }
  }

  /** ISTIO_MUTUAL: the agent's workload certificate and trust bundle. */
  private static void workloadCertificate(CommonTlsContext.Builder common, List<String> subjectAltNames) {
    common.addTlsCertificateSdsSecretConfigs(agentSecret(EnvoyNames.SDS_WORKLOAD_CERTIFICATE));
    CertificateValidationContext.Builder v = CertificateValidationContext.newBuilder();
    subjectAltNames.forEach(san -> v.addMatchSubjectAltNames(exact(san)));
    common.getCombinedValidationContextBuilder().setDefaultValidationContext(v)
        .setValidationContextSdsSecretConfig(agentSecret(EnvoyNames.SDS_ROOT_CA));
  }

  /**
   * SDS over the proxy's ADS stream. Unlike other ADS sources there is no zero initial fetch
   * timeout: a secret that does not exist must not block the whole listener.
   */
  static SdsSecretConfig adsSecret(String name) {
    return dev.istiod.xds.core.CredentialSds.overAds(name);
  }

  static SdsSecretConfig agentSecret(String name) {
    return SdsSecretConfig.newBuilder().setName(name).setSdsConfig(ConfigSource.newBuilder()
        .setApiConfigSource(ApiConfigSource.newBuilder()
            .setApiType(ApiConfigSource.ApiType.GRPC)
            .setSetNodeOnFirstMessageOnly(true)
            .setTransportApiVersion(ApiVersion.V3)
            .addGrpcServices(GrpcService.newBuilder().setEnvoyGrpc(
                GrpcService.EnvoyGrpc.newBuilder().setClusterName(EnvoyNames.SDS_AGENT_CLUSTER))))
        .setResourceApiVersion(ApiVersion.V3)).build();
  }

  /** Mesh {@code tlsDefaults} first, then the server's own settings override them. */
  private static void tlsParameters(CommonTlsContext.Builder common, MeshConfig.TLSConfig defaults, ServerTLSSettings tls) {
    TlsParameters.Builder p = TlsParameters.newBuilder();
    if (defaults.getEcdhCurvesCount() > 0) {
      p.addAllEcdhCurves(defaults.getEcdhCurvesList());
    }
    if (defaults.getCipherSuitesCount() > 0) {
      p.addAllCipherSuites(defaults.getCipherSuitesList());
    }
    if (defaults.getMinProtocolVersion() != MeshConfig.TLSConfig.TLSProtocol.TLS_AUTO) {
      p.setTlsMinimumProtocolVersion(defaults.getMinProtocolVersion() == MeshConfig.TLSConfig.TLSProtocol.TLSV1_3
          ? TlsParameters.TlsProtocol.TLSv1_3 : TlsParameters.TlsProtocol.TLSv1_2);
    }
    if (tls.getMinProtocolVersion() != ServerTLSSettings.TLSProtocol.TLS_AUTO) {
      p.setTlsMinimumProtocolVersion(protocol(tls.getMinProtocolVersion()));
    }
    List<String> ciphers = filterCipherSuites(tls.getCipherSuitesList());
    if (!ciphers.isEmpty()) {
      p.clearCipherSuites().addAllCipherSuites(ciphers);
    }
    if (tls.getMaxProtocolVersion() != ServerTLSSettings.TLSProtocol.TLS_AUTO) {
      p.setTlsMaximumProtocolVersion(protocol(tls.getMaxProtocolVersion()));
    }
    if (!p.build().equals(TlsParameters.getDefaultInstance())) {
      common.setTlsParams(p);
    }
  }

  /** The enums line up one to one (TLS_AUTO, 1.0, 1.1, 1.2, 1.3). */
  private static TlsParameters.TlsProtocol protocol(ServerTLSSettings.TLSProtocol p) {
    return TlsParameters.TlsProtocol.forNumber(p.getNumber());
  }

  /** Upstream's {@code FilterCipherSuites}: unknown names would make Envoy reject the listener. */
  static List<String> filterCipherSuites(List<String> suites) {
    Set<String> out = new LinkedHashSet<>();
    for (String s : suites) {
      if (s.isEmpty()) {
        continue; // upstream keeps it; Envoy would reject an empty name
      }
      boolean operator = !Character.isLetterOrDigit(s.charAt(0));
      if (s.equals("ALL") || operator || VALID_CIPHER_SUITES.contains(s)) {
        out.add(s);
      }
    }
    return List.copyOf(out);
  }

  private static StringMatcher exact(String s) {
    return StringMatcher.newBuilder().setExact(s).build();
  }
}
