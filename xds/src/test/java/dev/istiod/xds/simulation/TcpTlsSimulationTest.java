package dev.istiod.xds.simulation;

import static dev.istiod.xds.simulation.GoldenScenarioSimulationTest.golden;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Where TCP and TLS connections from a sidecar go: VirtualService {@code tcp} and {@code tls}
 * routes, destination subnets, SNI (exact and wildcard), and protocol sniffing on ports whose
 * protocol is unknown — the filter chain rules (prefix ranges, server names, ALPN set by the
 * HTTP inspector) decide these, not the route tables.
 */
class TcpTlsSimulationTest {

  @Test
  void tcpRoute_splitsByWeight_routesForOtherSourcesSkipped() {
    Simulation sim = golden("tcp-route-weights");
    sim.call(Call.tcp("10.96.0.30", 5432)).expectListener("10.96.0.30_5432").expectWeightedClusters(Map.of(
        "outbound|5432|v1|db.default.svc.cluster.local", 80, "outbound|5432|v2|db.default.svc.cluster.local", 20));
    sim.call(Call.tcp("10.96.0.31", 6379)).as("its only route matches another port")
        .expectCluster("outbound|6379||cache.default.svc.cluster.local").expectEndpoints("10.0.3.1:6379");
  }

  @Test
  void tlsRoute_bySni_exactAndWildcard() {
    Simulation sim = golden("tls-sni-route");
    sim.call(Call.tls("api.example.com", 443)).expectListener("0.0.0.0_443")
        .expectCluster("outbound|8200|v2|vault.default.svc.cluster.local").expectEndpoints("10.0.5.2:8200");
    sim.call(Call.tls("eu.legacy.example.com", 443)).expectCluster("outbound|443||mirror.example.com");
    sim.call(Call.tls("mirror.example.com", 443)).expectCluster("outbound|443||mirror.example.com");
    sim.call(Call.tls("vault.default.svc.cluster.local", 8200).address("10.96.0.50"))
        .expectListener("10.96.0.50_8200").expectCluster("outbound|8200||vault.default.svc.cluster.local");
  }

  @Test
  void tlsWithoutSniOrUnknownSni_isPassedThrough() {
    Simulation sim = golden("tls-sni-route");
    sim.call(Call.tls("unknown.example.org", 443)).expectListener("0.0.0.0_443").expectCluster("PassthroughCluster");
    sim.call(Call.tcp(Call.UNKNOWN_ADDRESS, 443)).as("plaintext: no SNI to match")
        .expectCluster("PassthroughCluster");
  }

  @Test
  void destinationSubnets_mostSpecificRangeWins_serviceRangeIsTheFallback() {
    Simulation sim = golden("tcp-destination-subnets");
    sim.call(Call.tcp("192.168.10.5", 5432)).expectListener("0.0.0.0_5432")
        .expectCluster("outbound|5432||pg-proxy.default.svc.cluster.local");
    sim.call(Call.tcp("192.168.11.200", 5432)).expectCluster("outbound|5432||pg-proxy.default.svc.cluster.local");
    sim.call(Call.tcp("192.168.99.5", 5432)).as("that route is for another source namespace")
        .expectCluster("outbound|5432||db.internal.example");
    sim.call(Call.tcp("192.168.200.1", 5432)).expectCluster("outbound|5432||db.internal.example");
    sim.call(Call.tcp("10.96.0.40", 5432)).expectListener("10.96.0.40_5432")
        .expectCluster("outbound|5432||pg-proxy.default.svc.cluster.local");
  }

  @Test
  void sniffedPort_httpIsRouted_rawTcpTakesTheServiceDefaultChain() {
    Simulation sim = golden("protocol-sniffing");
    String web = "web.default.svc.cluster.local";
    sim.call(Call.http(web, 8080).address("10.96.0.60").path("/v2/x")).expectListener("10.96.0.60_8080")
        .expectRouteConfig(web + ":8080").expectCluster("outbound|8080||" + web).expectOk();
    sim.call(Call.http2("anything", 8080).address("10.96.0.60")).as("every authority reaches the one service")
        .expectCluster("outbound|8080||" + web);
    sim.call(Call.tcp("10.96.0.60", 8080)).expectDefaultFilterChain().expectCluster("outbound|8080||" + web);
  }

  @Test
  void sharedPort_httpByInspector_tcpServiceIsTheDefault() {
    Simulation sim = golden("protocol-sniffing");
    sim.call(Call.http("api.default.svc.cluster.local", 8000)).expectListener("0.0.0.0_8000")
        .expectCluster("outbound|8000||api.default.svc.cluster.local");
    sim.call(Call.tcp(Call.UNKNOWN_ADDRESS, 8000)).expectDefaultFilterChain()
        .expectCluster("outbound|8000||legacy.example.com");
  }
}
