package dev.istiod.xds.grpcgen;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.api.networking.v1alpha3.ClientTLSSettings;
import dev.istiod.api.networking.v1alpha3.DestinationRule;
import dev.istiod.api.networking.v1alpha3.LoadBalancerSettings;
import dev.istiod.api.networking.v1alpha3.PortSelector;
import dev.istiod.api.networking.v1alpha3.Subset;
import dev.istiod.api.networking.v1alpha3.TrafficPolicy;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GrpcClusterBuilderTest {
  private static final String HOST = "echo.default.svc.cluster.local";
  private static final SubsetKey DEFAULT = new SubsetKey(7070, "", HOST);

  @Test
  void build_withoutRule_isPlainRoundRobinEds() {
    Cluster c = GrpcClusterBuilder.build(DEFAULT, Optional.empty(), List.of()).orElseThrow();

    assertThat(c.getType()).isEqualTo(Cluster.DiscoveryType.EDS);
    assertThat(c.getEdsClusterConfig().getServiceName()).isEqualTo("outbound|7070||" + HOST);
    assertThat(c.getLbPolicy()).isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);
    assertThat(c.hasTransportSocket()).isFalse();
  }

  @Test
  void build_unknownSubset_isNoCluster() {
    assertThat(GrpcClusterBuilder.build(DEFAULT.withSubset("v9"), Optional.of(rule()), List.of())).isEmpty();
  }

  @Test
  void build_portLevelLoadBalancer_overridesTheRulesDefault_andSubsetOverridesBoth() {
    assertThat(GrpcClusterBuilder.build(DEFAULT, Optional.of(rule()), List.of()).orElseThrow().getLbPolicy())
        .isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
    assertThat(GrpcClusterBuilder.build(DEFAULT.withSubset("v1"), Optional.of(rule()), List.of()).orElseThrow()
        .getLbPolicy()).isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);
  }

  @Test
  @SuppressWarnings("deprecation")
  void build_istioMutual_usesTheBootstrapsCertificateProvider_andChecksServerIdentity() throws Exception {
    String sa = "spiffe://cluster.local/ns/default/sa/echo";
    Cluster c = GrpcClusterBuilder.build(DEFAULT.withSubset("v2"), Optional.of(rule()), List.of(sa)).orElseThrow();

    assertThat(c.getTransportSocket().getName()).isEqualTo("envoy.transport_sockets.tls");
    CommonTlsContext tls = c.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class).getCommonTlsContext();
    assertThat(tls.getTlsCertificateCertificateProviderInstance().getInstanceName()).isEqualTo("default");
    assertThat(tls.getCombinedValidationContext().getValidationContextCertificateProviderInstance().getCertificateName())
        .isEqualTo("ROOTCA");
    assertThat(tls.getCombinedValidationContext().getDefaultValidationContext().getMatchSubjectAltNamesList())
        .extracting(m -> m.getExact()).containsExactly(sa);
    assertThat(c.getTransportSocketMatchesList()).isEmpty();
  }

  private static DestinationRule rule() {
    return DestinationRule.newBuilder().setHost(HOST)
        .setTrafficPolicy(TrafficPolicy.newBuilder()
            .setLoadBalancer(LoadBalancerSettings.newBuilder().setSimple(LoadBalancerSettings.SimpleLB.RANDOM))
            .addPortLevelSettings(TrafficPolicy.PortTrafficPolicy.newBuilder()
                .setPort(PortSelector.newBuilder().setNumber(7070))
                .setLoadBalancer(LoadBalancerSettings.newBuilder().setSimple(LoadBalancerSettings.SimpleLB.LEAST_REQUEST))))
        .addSubsets(Subset.newBuilder().setName("v1").putLabels("version", "v1")
            .setTrafficPolicy(TrafficPolicy.newBuilder().setLoadBalancer(
                LoadBalancerSettings.newBuilder().setSimple(LoadBalancerSettings.SimpleLB.ROUND_ROBIN))))
        .addSubsets(Subset.newBuilder().setName("v2").putLabels("version", "v2")
            .setTrafficPolicy(TrafficPolicy.newBuilder().setTls(
                ClientTLSSettings.newBuilder().setMode(ClientTLSSettings.TLSmode.ISTIO_MUTUAL))))
        .build();
  }
}
