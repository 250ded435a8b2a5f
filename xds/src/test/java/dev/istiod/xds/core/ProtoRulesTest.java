package dev.istiod.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.UInt64Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import org.junit.jupiter.api.Test;

class ProtoRulesTest {
  private static LbEndpoint endpoint(int weight) {
    LbEndpoint.Builder b = LbEndpoint.newBuilder().setLoadBalancingWeight(UInt32Value.of(weight));
    b.getEndpointBuilder().getAddressBuilder().getSocketAddressBuilder().setAddress("10.0.0.1").setPortValue(80);
    return b.build();
  }

  @Test
  void validAssignment_hasNoViolations() {
    ClusterLoadAssignment cla = ClusterLoadAssignment.newBuilder().setClusterName("c")
        .addEndpoints(LocalityLbEndpoints.newBuilder().addLbEndpoints(endpoint(1))
            .setLoadBalancingWeight(UInt32Value.of(1)))
        .build();

    assertThat(ProtoRules.violations(cla)).isEmpty();
  }

  @Test
  void zeroEndpointWeight_isReported_withItsPath() {
    ClusterLoadAssignment cla = ClusterLoadAssignment.newBuilder().setClusterName("c")
        .addEndpoints(LocalityLbEndpoints.newBuilder().addLbEndpoints(endpoint(0)))
        .build();

    assertThat(ProtoRules.violations(cla)).singleElement().asString()
        .contains("endpoints[0].lb_endpoints[0].load_balancing_weight").contains("at least 1");
  }

  @Test
  void priorityAbove128_andPortAbove65535_areReported() {
    LbEndpoint.Builder ep = endpoint(1).toBuilder();
    ep.getEndpointBuilder().getAddressBuilder().getSocketAddressBuilder().setPortValue(70000);
    ClusterLoadAssignment cla = ClusterLoadAssignment.newBuilder().setClusterName("c")
        .addEndpoints(LocalityLbEndpoints.newBuilder().addLbEndpoints(ep).setPriority(129))
        .build();

    assertThat(ProtoRules.violations(cla)).hasSize(2)
        .anySatisfy(v -> assertThat(v).contains("priority"))
        .anySatisfy(v -> assertThat(v).contains("port_value"));
  }

  @Test
  void ringSizeAboveEnvoysLimit_isReported() {
    Cluster c = Cluster.newBuilder().setName("c").setLbPolicy(Cluster.LbPolicy.RING_HASH)
        .setRingHashLbConfig(Cluster.RingHashLbConfig.newBuilder().setMinimumRingSize(UInt64Value.of(9_000_000)))
        .build();

    assertThat(ProtoRules.violations(c)).singleElement().asString().contains("minimum_ring_size");
  }

  @Test
  void rulesInsideAnyPackedTypes_areChecked() {
    UpstreamTlsContext tls = UpstreamTlsContext.newBuilder().setSni("a".repeat(300)).build();
    Cluster c = Cluster.newBuilder().setName("c")
        .setTransportSocket(TransportSocket.newBuilder().setName("envoy.transport_sockets.tls").setTypedConfig(Any.pack(tls)))
        .build();

    assertThat(ProtoRules.violations(c)).singleElement().asString().contains("sni").contains("255 bytes");
  }

  @Test
  void emptyClusterName_isReported() {
    assertThat(ProtoRules.violations(Cluster.getDefaultInstance())).anySatisfy(v -> assertThat(v).contains("Cluster.name"));
  }

  @Test
  void rulesOfUnsetOneofMembers_areNotChecked() {
    StringMatcher exact = StringMatcher.newBuilder().setExact("a").build();

    assertThat(ProtoRules.violations(exact)).isEmpty();
    assertThat(ProtoRules.violations(StringMatcher.getDefaultInstance())).singleElement().asString()
        .contains("match_pattern").contains("exactly one");
  }
}
