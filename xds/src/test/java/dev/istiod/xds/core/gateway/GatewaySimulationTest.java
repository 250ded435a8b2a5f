package dev.istiod.xds.core.gateway;

import dev.istiod.xds.simulation.Call;
import dev.istiod.xds.simulation.Failure;
import dev.istiod.xds.simulation.Simulation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Where calls to a gateway go, for the proxies of the gateway golden scenarios: clients connect to
 * the gateway's own address ({@code 10.0.0.20}) on the server ports, nothing is captured.
 */
class GatewaySimulationTest {
  static final String GATEWAY_IP = "10.0.0.20";
  static final String PRODUCTPAGE = "outbound|9080||productpage.default.svc.cluster.local";
  static final String REVIEWS = "outbound|9080||reviews.default.svc.cluster.local";

  static Call http(String host, int port) {
    return Call.http(host, port).address(GATEWAY_IP).direct();
  }

  static Call https(String host, int port) {
    return Call.https(host, port).address(GATEWAY_IP).direct();
  }

  static Call tls(String sni, int port) {
    return Call.tls(sni, port).address(GATEWAY_IP).direct();
  }

  @Test
  void httpServer_routesTheBoundVirtualServiceByPath_andUnboundHostsGet404() {
    Simulation sim = golden("gateway-http");
    sim.call(http("bookinfo.example.com", 8080).path("/reviews/1"))
        .expectListener("0.0.0.0_8080").expectRouteConfig("http.8080").expectVirtualHost("bookinfo.example.com:8080")
        .expectRoute("reviews").expectCluster(REVIEWS).expectEndpoints("10.0.2.1:9080");
    sim.call(http("bookinfo.example.com", 8080)).expectRoute("productpage").expectCluster(PRODUCTPAGE);
    sim.call(http("shop.example.com", 8080)).as("a host the server admits but no VirtualService binds")
        .expectFailure(Failure.NO_VIRTUAL_HOST);
    sim.call(http("bookinfo.example.com", 9999)).as("the other Gateway selects other proxies")
        .expectFailure(Failure.NO_LISTENER);
  }

  @Test
  void httpsServer_terminatesTlsForItsHost_only() {
    Simulation sim = golden("gateway-https-simple");
    sim.call(https("bookinfo.example.com", 443)).expectListener("0.0.0.0_443")
        .expectRouteConfig("https.443.https.bookinfo-gateway.istio-system").expectCluster(PRODUCTPAGE).expectOk();
    sim.call(https("other.example.com", 443)).expectFailure(Failure.NO_FILTER_CHAIN);
  }

  @Test
  void mutualServer_onItsBindAddress_requiresAClientCertificate() {
    Simulation sim = golden("gateway-https-mutual");
    Call partners = https("partners.example.com", 8443);
    sim.call(partners.transport(Call.Transport.MUTUAL_TLS)).expectListener("10.0.0.20_8443")
        .expectRouteConfig("https.8443.https-partners.partner-gateway.istio-system.10.0.0.20").expectCluster(REVIEWS);
    sim.call(partners).as("no client certificate").expectFailure(Failure.TLS_ERROR);
  }

  @Test
  void httpsRedirect_sendsEveryServerHostToHttps_andTheHttpsServerRoutes() {
    Simulation sim = golden("gateway-https-redirect");
    sim.call(http("bookinfo.example.com", 80).path("/login")).expectRouteConfig("http.80")
        .expectRedirect(301, "https://bookinfo.example.com/login");
    sim.call(http("legacy.example.com", 80)).as("no VirtualService, still redirected")
        .expectRedirect(301, "https://legacy.example.com/");
    sim.call(https("bookinfo.example.com", 443)).expectCluster(PRODUCTPAGE).expectOk();
  }

  @Test
  void passthrough_forwardsBySniToTheTlsRoute_splitByWeight() {
    Simulation sim = golden("gateway-passthrough");
    sim.call(tls("shop.example.com", 443)).expectListener("0.0.0.0_443")
        .expectCluster("outbound|8443||shop.default.svc.cluster.local").expectEndpoints("10.0.3.1:8443", "10.0.3.2:8443");
    sim.call(tls("canary.example.com", 443)).expectWeightedClusters(Map.of(
        "outbound|8443|v1|shop.default.svc.cluster.local", 90, "outbound|8443|v2|shop.default.svc.cluster.local", 10));
    sim.call(tls("unknown.example.com", 443)).expectFailure(Failure.NO_FILTER_CHAIN);
  }

  @Test
  void autoPassthrough_routesIstioMtlsBySniDnatName_toSubsetEndpoints() {
    Simulation sim = golden("gateway-auto-passthrough");
    String v1 = "outbound_.9080_.v1_.reviews.default.svc.cluster.local";
    sim.call(tls(v1, 15443).alpn("istio-peer-exchange", "istio")).expectListener("0.0.0.0_15443")
        .expectCluster(v1).expectEndpoints("10.0.2.1:9080");
    sim.call(tls(v1, 15443)).as("not Istio mTLS (no Istio ALPN)").expectFailure(Failure.NO_FILTER_CHAIN);
    sim.call(tls("outbound_.443_._.api.external.com", 15443).alpn("istio")).as("mesh-external services are not exposed")
        .expectFailure(Failure.NO_FILTER_CHAIN);
  }

  @Test
  void tcpServer_forwardsEveryConnectionToTheMatchingTcpRoute() {
    golden("gateway-tcp").call(Call.tcp(GATEWAY_IP, 31400).direct()).expectListener("0.0.0.0_31400")
        .expectCluster("outbound|9000||tcp-echo.default.svc.cluster.local").expectEndpoints("10.0.4.1:9000");
  }

  @Test
  void tlsServer_terminatesTlsAndForwardsTheStream() {
    Simulation sim = golden("gateway-tls");
    sim.call(tls("db.example.com", 9443)).expectCluster("outbound|5432||db.default.svc.cluster.local").expectOk();
    sim.call(Call.tcp(GATEWAY_IP, 9443).direct()).as("plaintext to a TLS server").expectFailure(Failure.NO_FILTER_CHAIN);
  }

  @Test
  void mergedServers_shareHttpListener_andEachHttpsServerServesItsOwnHosts() {
    Simulation sim = golden("gateway-multi-server-merge");
    sim.call(http("www.example.com", 8080)).expectRouteConfig("http.8080")
        .expectVirtualHost("bookinfo.example.com:8080").expectCluster(PRODUCTPAGE);
    sim.call(http("reviews.example.com", 8080)).expectCluster(REVIEWS);
    sim.call(https("reviews.example.com", 443)).expectRouteConfig("https.443.https-reviews.team.default")
        .expectCluster(REVIEWS);
    sim.call(https("bookinfo.example.com", 443)).expectRouteConfig("https.443.https-bookinfo.public.istio-system")
        .expectCluster(PRODUCTPAGE);
    sim.call(https("secret.example.com", 443)).as("credentialName over SDS, no VirtualService binds its host")
        .expectRouteConfig("https.443.https-secret.team.default").expectFailure(Failure.NO_ROUTE);
  }

  static Simulation golden(String scenario) {
    try {
      return Simulation.forScenario(Files.readString(Path.of("src/test/resources/golden", scenario, "input.yaml")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
