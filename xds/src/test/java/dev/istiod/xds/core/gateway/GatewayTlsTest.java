package dev.istiod.xds.core.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.networking.v1alpha3.ServerTLSSettings;
import dev.istiod.api.networking.v1alpha3.ServerTLSSettings.TLSmode;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import org.junit.jupiter.api.Test;

class GatewayTlsTest {
  static final MeshConfig MESH = MeshConfig.getDefaultInstance();

  static DownstreamTlsContext ready(GatewayTls.Result r) {
    assertThat(r).isInstanceOf(GatewayTls.Result.Ready.class);
    return ((GatewayTls.Result.Ready) r).context();
  }

  @Test
  void downstream_mutualWithFiles_requiresClientCertificatesSignedByTheCaFile() {
    ServerTLSSettings tls = ServerTLSSettings.newBuilder().setMode(TLSmode.MUTUAL)
        .setServerCertificate("/etc/certs/tls.crt").setPrivateKey("/etc/certs/tls.key")
        .setCaCertificates("/etc/certs/ca.crt").addSubjectAltNames("spiffe://example.com/client").build();

    DownstreamTlsContext ctx = ready(GatewayTls.downstream(tls, MESH, GatewayCredentials.DEFAULT));

    assertThat(ctx.getRequireClientCertificate().getValue()).isTrue();
    CommonTlsContext common = ctx.getCommonTlsContext();
    assertThat(common.getTlsCertificates(0).getCertificateChain().getFilename()).isEqualTo("/etc/certs/tls.crt");
    assertThat(common.getValidationContext().getTrustedCa().getFilename()).isEqualTo("/etc/certs/ca.crt");
    assertThat(common.getValidationContext().getMatchSubjectAltNames(0).getExact()).isEqualTo("spiffe://example.com/client");
    assertThat(common.getAlpnProtocolsList()).containsExactly("h2", "http/1.1");
  }

  @Test
  void downstream_credentialNameWithoutSds_isReportedUnsupported() {
    ServerTLSSettings tls = ServerTLSSettings.newBuilder().setMode(TLSmode.SIMPLE).setCredentialName("shop-cert").build();

    GatewayTls.Result r = GatewayTls.downstream(tls, MESH, GatewayCredentials.DEFAULT);

    assertThat(r).isInstanceOfSatisfying(GatewayTls.Result.Unsupported.class,
        u -> assertThat(u.reason()).contains("shop-cert", "SDS"));
  }

  @Test
  void downstream_credentialNameWithSds_referencesKubernetesSecretsOverAds() {
    ServerTLSSettings tls = ServerTLSSettings.newBuilder().setMode(TLSmode.MUTUAL).setCredentialName("shop-cert").build();

    CommonTlsContext common = ready(GatewayTls.downstream(tls, MESH, GatewayCredentials.UPSTREAM)).getCommonTlsContext();

    assertThat(common.getTlsCertificateSdsSecretConfigs(0).getName()).isEqualTo("kubernetes://shop-cert");
    assertThat(common.getTlsCertificateSdsSecretConfigs(0).getSdsConfig().hasAds()).isTrue();
    assertThat(common.getCombinedValidationContext().getValidationContextSdsSecretConfig().getName())
        .isEqualTo("kubernetes://shop-cert-cacert");
  }

  @Test
  void downstream_istioMutual_isUnsupportedUntilTheAgentServesWorkloadCertificates() {
    ServerTLSSettings tls = ServerTLSSettings.newBuilder().setMode(TLSmode.ISTIO_MUTUAL).build();

    assertThat(GatewayTls.downstream(tls, MESH, GatewayCredentials.DEFAULT))
        .isInstanceOf(GatewayTls.Result.Unsupported.class);
    CommonTlsContext common = ready(GatewayTls.downstream(tls, MESH, GatewayCredentials.UPSTREAM)).getCommonTlsContext();
    assertThat(common.getTlsCertificateSdsSecretConfigs(0).getName()).isEqualTo("default");
    assertThat(common.getTlsCertificateSdsSecretConfigs(0).getSdsConfig().getApiConfigSource().getGrpcServices(0)
        .getEnvoyGrpc().getClusterName()).isEqualTo("sds-grpc");
    assertThat(common.getCombinedValidationContext().getValidationContextSdsSecretConfig().getName()).isEqualTo("ROOTCA");
  }

  @Test
  void filterCipherSuites_dropsUnknownAndDuplicateNames() {
    assertThat(GatewayTls.filterCipherSuites(java.util.List.of("AES128-SHA", "NOPE", "AES128-SHA", "-ALL")))
        .containsExactly("AES128-SHA", "-ALL");
  }
}
