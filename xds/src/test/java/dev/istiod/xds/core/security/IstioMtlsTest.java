package dev.istiod.xds.core.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IstioMtlsTest {
  @Test
  void trustDomains_areTheMeshsItsAliasesAndThoseOfExtraCas_withoutRepeats() {
    MeshConfig mesh = MeshConfig.newBuilder().setTrustDomain("cluster.local")
        .addTrustDomainAliases("old.example").addTrustDomainAliases("cluster.local")
        .addCaCertificates(MeshConfig.CertificateData.newBuilder().addTrustDomains("partner.example"))
        .build();

    assertThat(IstioMtls.trustDomains(mesh)).containsExactly("cluster.local", "old.example", "partner.example");
  }

  @Test
  void serverValidation_acceptsPeersOfEveryTrustDomain() {
    MeshConfig mesh = MeshConfig.newBuilder().setTrustDomain("cluster.local").addTrustDomainAliases("old.example").build();

    DownstreamTlsContext tls = IstioMtls.downstream(mesh, true);

    assertThat(tls.getRequireClientCertificate().getValue()).isTrue();
    assertThat(tls.getCommonTlsContext().getCombinedValidationContext().getDefaultValidationContext()
        .getMatchSubjectAltNamesList()).extracting(m -> m.getPrefix())
        .containsExactly("spiffe://cluster.local/", "spiffe://old.example/");
    assertThat(tls.getCommonTlsContext().getAlpnProtocolsList()).containsExactly("istio-peer-exchange", "h2", "http/1.1");
  }

  @Test
  void serverTlsParameters_followMeshMtls() {
    MeshConfig mesh = MeshConfig.newBuilder().setTrustDomain("cluster.local")
        .setMeshMTLS(MeshConfig.TLSConfig.newBuilder()
            .setMinProtocolVersion(MeshConfig.TLSConfig.TLSProtocol.TLSV1_3).addCipherSuites("ECDHE-RSA-AES128-GCM-SHA256"))
        .build();

    TlsParameters params = IstioMtls.downstream(mesh, false).getCommonTlsContext().getTlsParams();

    assertThat(params.getTlsMinimumProtocolVersion()).isEqualTo(TlsParameters.TlsProtocol.TLSv1_3);
    assertThat(params.getCipherSuitesList()).containsExactly("ECDHE-RSA-AES128-GCM-SHA256");
  }

  @Test
  void serviceAccounts_areExpandedIntoTrustDomainAliasesOnly() {
    MeshConfig mesh = MeshConfig.newBuilder().setTrustDomain("cluster.local").addTrustDomainAliases("old.example").build();

    assertThat(IstioMtls.expandTrustDomains(Set.of("spiffe://cluster.local/ns/a/sa/b", "dns.example"), mesh))
        .containsExactly("dns.example", "spiffe://cluster.local/ns/a/sa/b", "spiffe://old.example/ns/a/sa/b");
    assertThat(IstioMtls.expandTrustDomains(Set.of("spiffe://cluster.local/ns/a/sa/b"),
        MeshConfig.newBuilder().setTrustDomain("cluster.local").build()))
        .containsExactly("spiffe://cluster.local/ns/a/sa/b");
  }
}
