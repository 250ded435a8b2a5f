package dev.istiod.xds.core.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.api.networking.v1alpha3.Gateway;
import dev.istiod.api.networking.v1alpha3.Port;
import dev.istiod.api.networking.v1alpha3.Server;
import dev.istiod.api.networking.v1alpha3.ServerTLSSettings;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigMeta;
import dev.istiod.model.Kind;
import dev.istiod.model.Protocol;
import dev.istiod.model.Resolution;
import dev.istiod.model.Service;
import dev.istiod.model.ServicePort;
import dev.istiod.model.ServiceTarget;
import dev.istiod.xds.core.gateway.MergedGateway.BoundServer;
import dev.istiod.xds.core.gateway.MergedGateway.PortServers;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GatewayMergerTest {
  static Config gateway(String ns, String name, Server... servers) {
    return new Config(Kind.GATEWAY, ConfigMeta.of(ns, name), Gateway.newBuilder().addAllServers(List.of(servers)).build());
  }

  static Server server(int port, String portName, String protocol, String... hosts) {
    return Server.newBuilder().setPort(Port.newBuilder().setNumber(port).setName(portName).setProtocol(protocol))
        .addAllHosts(List.of(hosts)).build();
  }

  static Server https(int port, String portName, String bind, String... hosts) {
    return server(port, portName, "HTTPS", hosts).toBuilder().setBind(bind)
        .setTls(ServerTLSSettings.newBuilder().setMode(ServerTLSSettings.TLSmode.SIMPLE)
            .setServerCertificate("/c.pem").setPrivateKey("/k.pem")).build();
  }

  @Test
  void merge_httpServersOfTwoGateways_shareOneListenerAndRouteConfiguration() {
    MergedGateway m = GatewayMerger.merge(List.of(
        gateway("istio-system", "a", server(8080, "http", "HTTP", "a.example.com")),
        gateway("istio-system", "b", server(8080, "http-b", "HTTP", "b.example.com"))), List.of());

    assertThat(m.ports()).singleElement().satisfies(p -> {
      assertThat(p.routeName()).isEqualTo("http.8080");
      assertThat(p.servers()).extracting(BoundServer::gatewayName).containsExactly("istio-system/a", "istio-system/b");
    });
    assertThat(m.serversByRouteName().get("http.8080")).hasSize(2);
    assertThat(m.rejected()).isEmpty();
  }

  @Test
  void merge_tcpServerOnAnHttpPort_isRejectedAndReported() {
    MergedGateway m = GatewayMerger.merge(List.of(
        gateway("istio-system", "web", server(8080, "http", "HTTP", "*")),
        gateway("istio-system", "raw", server(8080, "tcp", "TCP", "*"))), List.of());

    assertThat(m.ports()).singleElement().extracting(PortServers::servers).asList().hasSize(1);
    assertThat(m.rejected()).singleElement().asString().contains("istio-system/raw", "8080/TCP", "conflicts");
  }

  @Test
  void merge_httpsServersOnOnePort_eachGetTheirOwnRouteConfiguration() {
    MergedGateway m = GatewayMerger.merge(List.of(
        gateway("istio-system", "a", https(443, "https-a", "", "a.example.com")),
        gateway("default", "b", https(443, "https-b", "", "b.example.com"))), List.of());

    assertThat(m.ports()).singleElement().extracting(PortServers::servers).asList().hasSize(2);
    assertThat(m.serversByRouteName()).containsOnlyKeys("https.443.https-a.a.istio-system", "https.443.https-b.b.default");
  }

  @Test
  void merge_secondTlsServerClaimingAHost_isRejectedOnTheSameBindOnly() {
    MergedGateway sameBind = GatewayMerger.merge(List.of(
        gateway("ns", "a", https(443, "https-a", "", "shop.example.com")),
        gateway("ns", "b", https(443, "https-b", "", "shop.example.com"))), List.of());
    MergedGateway otherBind = GatewayMerger.merge(List.of(
        gateway("ns", "a", https(443, "https-a", "10.0.0.1", "shop.example.com")),
        gateway("ns", "b", https(443, "https-b", "10.0.0.2", "shop.example.com"))), List.of());

    assertThat(sameBind.rejected()).singleElement().asString().contains("duplicate host names [shop.example.com]");
    assertThat(otherBind.rejected()).isEmpty();
    assertThat(otherBind.ports()).extracting(p -> p.port().bind()).containsExactly("10.0.0.1", "10.0.0.2");
  }

  @Test
  void merge_serverHosts_areSanitizedAndRouteNamesCarryTheBind() {
    Server s = server(80, "http", "HTTP", "./a.example.com", "*/b.example.com").toBuilder().setBind("127.0.0.1").build();

    MergedGateway m = GatewayMerger.merge(List.of(gateway("team", "gw", s)), List.of());

    BoundServer b = m.ports().get(0).servers().get(0);
    assertThat(b.server().getHostsList()).containsExactly("team/a.example.com", "b.example.com");
    assertThat(b.routeName()).isEqualTo("http.80.127.0.0.1");
  }

  @Test
  void resolvePort_translatesToTheTargetPortOfTheProxysOwnService() {
    Service svc = new Service("ingress.istio-system.svc.cluster.local", "istio-system", List.of(),
        List.of(new ServicePort("http2", 80, Protocol.HTTP2, 8080)), Resolution.CLIENT_SIDE_LB, false, null, Map.of(),
        List.of(), Service.Registry.KUBERNETES, null);
    List<ServiceTarget> targets = List.of(new ServiceTarget(svc, svc.ports().get(0), 8080));

    assertThat(GatewayMerger.resolvePort(80, targets)).isEqualTo(8080);
    assertThat(GatewayMerger.resolvePort(443, targets)).isEqualTo(443);
  }
}
