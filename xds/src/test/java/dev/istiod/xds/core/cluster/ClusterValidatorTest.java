package dev.istiod.xds.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.UInt64Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import org.junit.jupiter.api.Test;

class ClusterValidatorTest {
  static Cluster.Builder eds() {
    Cluster.Builder c = Cluster.newBuilder().setName("outbound|80||a").setType(Cluster.DiscoveryType.EDS)
        .setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST);
    c.getEdsClusterConfigBuilder().setServiceName("outbound|80||a").getEdsConfigBuilder().getAdsBuilder();
    return c;
  }

  @Test
  void plainEdsCluster_isAccepted() {
    assertThat(ClusterValidator.problems(eds().build())).isEmpty();
  }

  @Test
  void originalDestinationCluster_withEndpointsOrAnotherLbPolicy_isRejected() {
    Cluster c = Cluster.newBuilder().setName("c").setType(Cluster.DiscoveryType.ORIGINAL_DST)
        .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
        .setLoadAssignment(ClusterLoadAssignment.newBuilder().setClusterName("c")).build();

    assertThat(ClusterValidator.problems(c)).hasSize(2);
  }

  @Test
  void clusterProvidedLb_onAnEdsCluster_isRejected() {
    assertThat(ClusterValidator.problems(eds().setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED).build()))
        .singleElement().asString().contains("CLUSTER_PROVIDED");
  }

  @Test
  void ringHashMinimumAboveMaximum_isRejected() {
    Cluster c = eds().setLbPolicy(Cluster.LbPolicy.RING_HASH).setRingHashLbConfig(Cluster.RingHashLbConfig.newBuilder()
        .setMinimumRingSize(UInt64Value.of(4096)).setMaximumRingSize(UInt64Value.of(2048))).build();

    assertThat(ClusterValidator.problems(c)).singleElement().asString().contains("exceeds maximum_ring_size");
  }

  @Test
  void maglevTableOfNonPrimeSize_isRejected() {
    Cluster c = eds().setLbPolicy(Cluster.LbPolicy.MAGLEV)
        .setMaglevLbConfig(Cluster.MaglevLbConfig.newBuilder().setTableSize(UInt64Value.of(65536))).build();

    assertThat(ClusterValidator.problems(c)).singleElement().asString().contains("prime");
  }

  @Test
  void sanMatchingWithoutTrustedCa_isRejected_asEnvoyDoes() {
    UpstreamTlsContext tls = UpstreamTlsContext.newBuilder().setCommonTlsContext(CommonTlsContext.newBuilder()
        .setValidationContext(CertificateValidationContext.newBuilder()
            .setSystemRootCerts(CertificateValidationContext.SystemRootCerts.getDefaultInstance())
            .addMatchSubjectAltNames(StringMatcher.newBuilder().setExact("a.example.com")))).build();
    Cluster c = eds().setTransportSocket(TransportSocket.newBuilder().setName("envoy.transport_sockets.tls")
        .setTypedConfig(Any.pack(tls))).build();

    assertThat(ClusterValidator.problems(c)).singleElement().asString().contains("without a trusted CA");
  }
}
