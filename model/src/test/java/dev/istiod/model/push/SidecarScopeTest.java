package dev.istiod.model.push;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.networking.v1alpha3.IstioEgressListener;
import dev.istiod.api.networking.v1alpha3.OutboundTrafficPolicy;
import dev.istiod.api.networking.v1alpha3.SidecarPort;
import dev.istiod.api.networking.v1alpha3.Sidecar;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigMeta;
import dev.istiod.model.Kind;
import dev.istiod.model.MeshConfigs;
import dev.istiod.model.Protocol;
import dev.istiod.model.Resolution;
import dev.istiod.model.Service;
import dev.istiod.model.ServicePort;
import dev.istiod.model.Visibility;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which services a sidecar scope imports when hostnames collide, and what its egress listeners mean. */
class SidecarScopeTest {
  private static final MeshConfig MESH = MeshConfigs.defaults();

  @Test
  void kubernetesService_winsOverAServiceEntryForTheSameHostname() {
    Service squatter = service("db.default.svc.cluster.local", "default", Service.Registry.SERVICE_ENTRY, 5432);
    Service kube = service("db.default.svc.cluster.local", "default", Service.Registry.KUBERNETES, 5432);

    SidecarScope scope = scope(null, List.of(squatter, kube));

    assertThat(scope.service("db.default.svc.cluster.local")).get()
        .extracting(Service::registry).isEqualTo(Service.Registry.KUBERNETES);
  }

  @Test
  void sameHostInTwoNamespaces_theProxysOwnNamespaceWins() {
    Service other = service("api.example.com", "other", Service.Registry.SERVICE_ENTRY, 443);
    Service own = service("api.example.com", "default", Service.Registry.SERVICE_ENTRY, 8443);

    SidecarScope scope = scope(null, List.of(other, own));

    assertThat(scope.services()).singleElement().extracting(Service::namespace).isEqualTo("default");
    assertThat(scope.egressListeners().get(0).services()).extracting(Service::namespace).containsExactly("default");
  }

  @Test
  void egressListenerPort_trimsServicesToThatPort_andPortZeroIsNotACatchAll() {
    Service multi = new Service("web.default.svc.cluster.local", "default", List.of(),
        List.of(new ServicePort("http", 80, Protocol.HTTP), new ServicePort("grpc", 9090, Protocol.GRPC)),
        Resolution.CLIENT_SIDE_LB, false, Visibility.PUBLIC, Map.of(), List.of(), Service.Registry.SERVICE_ENTRY, null);
    Sidecar sidecar = Sidecar.newBuilder()
        .addEgress(IstioEgressListener.newBuilder().setPort(SidecarPort.newBuilder().setNumber(9090).setProtocol("GRPC").setName("g"))
            .addHosts("./*"))
        .addEgress(IstioEgressListener.newBuilder().addHosts("./*"))
        .setOutboundTrafficPolicy(OutboundTrafficPolicy.newBuilder().setMode(OutboundTrafficPolicy.Mode.REGISTRY_ONLY))
        .build();

    SidecarScope scope = scope(sidecarConfig(sidecar), List.of(multi));

    EgressListener onPort = scope.egressListeners().get(0);
    assertThat(onPort.isCatchAll()).isFalse();
    assertThat(onPort.services()).singleElement().satisfies(s -> assertThat(s.ports()).extracting(ServicePort::port)
        .containsExactly(9090));
    assertThat(scope.egressListeners().get(1).isCatchAll()).isTrue();
    assertThat(scope.service("web.default.svc.cluster.local")).get()
        .satisfies(s -> assertThat(s.ports()).extracting(ServicePort::port).containsExactlyInAnyOrder(80, 9090));
    assertThat(scope.allowAnyOutbound()).isFalse();
    assertThat(new EgressListener(IstioEgressListener.newBuilder().setPort(SidecarPort.newBuilder().setNumber(0))
        .setBind("unix:///var/run/egress.sock").build(), List.of(), List.of()).isCatchAll())
        .as("a Unix-socket listener (port 0) is not a catch-all").isFalse();
  }

  private static SidecarScope scope(Config sidecar, List<Service> services) {
    return SidecarScope.build(sidecar, "default", ServiceIndex.build(services),
        VirtualServiceIndex.build(List.of(), MESH, "cluster.local"), DestinationRuleIndex.build(List.of(), MESH, "cluster.local"),
        MESH);
  }

  private static Config sidecarConfig(Sidecar spec) {
    return new Config(Kind.SIDECAR, new ConfigMeta("default", "default", Map.of(), Map.of(), "", 0, Instant.EPOCH, ""), spec);
  }

  private static Service service(String host, String ns, Service.Registry registry, int port) {
    return new Service(host, ns, List.of(), List.of(new ServicePort("tcp", port, Protocol.TCP)), Resolution.CLIENT_SIDE_LB,
        false, Visibility.PUBLIC, Map.of(), List.of(), registry, null);
  }
}
