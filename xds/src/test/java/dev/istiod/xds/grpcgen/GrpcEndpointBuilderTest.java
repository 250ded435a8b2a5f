package dev.istiod.xds.grpcgen;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.model.Endpoint;
import dev.istiod.model.Locality;
import dev.istiod.model.Protocol;
import dev.istiod.model.ServicePort;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GrpcEndpointBuilderTest {
  private static final ServicePort GRPC = new ServicePort("grpc", 7070, Protocol.GRPC);

  @Test
  void build_everyLocalityCarriesAWeight_soGrpcDoesNotDropIt() {
    List<Endpoint> eps = List.of(
        endpoint("10.0.0.1", 9001, "v1", Locality.NONE),
        endpoint("10.0.0.2", 9002, "v1", new Locality("r1", "z1", "")),
        endpoint("10.0.0.3", 9003, "v1", new Locality("r1", "z1", "")));

    ClusterLoadAssignment cla = GrpcEndpointBuilder.build("c", eps, GRPC, Map.of());

    assertThat(cla.getEndpointsList()).extracting(l -> l.getLoadBalancingWeight().getValue()).containsExactly(1, 2);
    assertThat(cla.getEndpointsList()).flatExtracting(LocalityLbEndpoints::getLbEndpointsList)
        .allSatisfy(e -> assertThat(e.getHealthStatus()).isEqualTo(HealthStatus.HEALTHY));
  }

  @Test
  void build_subsetLabels_selectEndpoints_andTheirOwnPortIsUsed() {
    List<Endpoint> eps = List.of(endpoint("127.0.0.1", 9001, "v1", Locality.NONE),
        endpoint("127.0.0.1", 9002, "v2", Locality.NONE));

    ClusterLoadAssignment cla = GrpcEndpointBuilder.build("c", eps, GRPC, Map.of("version", "v2"));

    assertThat(cla.getEndpointsList()).flatExtracting(LocalityLbEndpoints::getLbEndpointsList)
        .extracting(e -> e.getEndpoint().getAddress().getSocketAddress().getPortValue())
        .containsExactly(9002);
  }

  @Test
  void build_leavesOutDnsNamesUnhealthyEndpointsAndOtherPorts() {
    List<Endpoint> eps = List.of(
        endpoint("echo.example.com", 9001, "v1", Locality.NONE),
        new Endpoint("10.0.0.9", 9001, "grpc", Map.of(), "", Locality.NONE, Endpoint.Health.UNHEALTHY,
            Endpoint.TlsMode.DISABLED, 0, "", ""),
        Endpoint.of("10.0.0.8", 8080, "http", Map.of()));

    assertThat(GrpcEndpointBuilder.build("c", eps, GRPC, Map.of()).getEndpointsList()).isEmpty();
  }

  private static Endpoint endpoint(String ip, int port, String version, Locality locality) {
    return new Endpoint(ip, port, "grpc", Map.of("version", version), "", locality, Endpoint.Health.HEALTHY,
        Endpoint.TlsMode.DISABLED, 0, "", "");
  }
}
