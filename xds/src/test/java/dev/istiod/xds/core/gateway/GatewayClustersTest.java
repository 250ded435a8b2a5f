package dev.istiod.xds.core.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.xds.core.EnvoyNames;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import org.junit.jupiter.api.Test;

class GatewayClustersTest {
  @Test
  void asSniDnat_renamesTheClusterAndItsEdsName_andDropsUpstreamTls() {
    String name = EnvoyNames.outboundCluster(9080, "v1", "reviews.default.svc.cluster.local");
    Cluster outbound = Cluster.newBuilder().setName(name).setAltStatName(name + ";")
        .setTransportSocket(TransportSocket.newBuilder().setName("envoy.transport_sockets.tls"))
        .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setServiceName(name)).build();

    Cluster sni = GatewayClusters.asSniDnat(outbound);

    assertThat(sni.getName()).isEqualTo("outbound_.9080_.v1_.reviews.default.svc.cluster.local");
    assertThat(sni.getEdsClusterConfig().getServiceName()).isEqualTo(sni.getName());
    assertThat(sni.getAltStatName()).isEqualTo(sni.getName() + ";");
    assertThat(sni.hasTransportSocket()).isFalse();
  }

  @Test
  void parseCluster_readsSniDnatNames_soEdsServesThem() {
    assertThat(EnvoyNames.parseCluster("outbound_.9080_._.reviews.default.svc.cluster.local")).hasValueSatisfying(k -> {
      assertThat(k.direction()).isEqualTo(EnvoyNames.Direction.OUTBOUND);
      assertThat(k.port()).isEqualTo(9080);
      assertThat(k.subset()).isEmpty();
      assertThat(k.host()).isEqualTo("reviews.default.svc.cluster.local");
    });
    assertThat(EnvoyNames.parseCluster("outbound_.x_._.h")).isEmpty();
  }
}
