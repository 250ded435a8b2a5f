package dev.istiod.xds.simulation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Where calls go for the proxies of the golden scenarios, stated as traffic: the same inputs the
 * golden files pin byte for byte, checked here for the behaviour a user relies on.
 */
class GoldenScenarioSimulationTest {
  private static final String REVIEWS = "reviews.default.svc.cluster.local";

  @Test
  void headerMatch_sendsJasonToSubsetV2_everyoneElseToV1() {
    Simulation sim = golden("vs-header-match-weighted");
    sim.call(Call.http(REVIEWS, 9080).header("end-user", "jason"))
        .expectListener("0.0.0.0_9080").expectRouteConfig("9080").expectVirtualHost(REVIEWS + ":9080")
        .expectRoute("jason.exact-user").expectCluster("outbound|9080|v2|" + REVIEWS).expectOk()
        .expectEndpoints("10.0.1.2:9080");
    sim.call(Call.http(REVIEWS, 9080).header("end-user", "mike"))
        .expectRoute("default").expectCluster("outbound|9080|v1|" + REVIEWS);
  }

  @Test
  void headerMatch_allConditionsOfOneMatchMustHold() {
    Simulation sim = golden("vs-header-match-weighted");
    Call canary = Call.http(REVIEWS, 9080).path("/api/items").header("x-canary", "true")
        .header("x-trace", "0123456789abcdef");
    sim.call(canary).expectRoute("jason.prefix-and-regex").expectCluster("outbound|9080|v2|" + REVIEWS);
    sim.call(canary.header("x-debug", "1")).as("withoutHeaders x-debug").expectRoute("default");
    sim.call(canary.path("/other")).as("uri prefix /api").expectRoute("default");
  }

  @Test
  void weightedRoute_splitsAcrossSubsets_zeroWeightDropped() {
    golden("vs-header-match-weighted").call(Call.http(REVIEWS, 9080).path("/v2/books").header("x-present", "yes"))
        .expectRoute("split")
        .expectWeightedClusters(Map.of("outbound|9080|v1|" + REVIEWS, 75, "outbound|9080|v3|" + REVIEWS, 25));
  }

  @Test
  void redirect_keepsTheHost_andRewritesThePath() {
    golden("vs-header-match-weighted").call(Call.http(REVIEWS, 9080).path("/old"))
        .expectRoute("legacy").expectRedirect(302, "http://" + REVIEWS + "/new");
  }

  @Test
  void shortNamesAndPorts_reachTheSameVirtualHost() {
    Simulation sim = golden("vs-header-match-weighted");
    for (String authority : new String[] {"reviews", "reviews.default", "reviews:9080", "10.96.0.20"}) {
      sim.call(Call.http(authority, 9080).header("end-user", "jason")).as(authority)
          .expectVirtualHost(REVIEWS + ":9080").expectCluster("outbound|9080|v2|" + REVIEWS);
    }
  }

  @Test
  void allowAny_unknownHostOnAKnownHttpPort_isPassedThrough() {
    golden("vs-header-match-weighted").call(Call.http("example.org", 9080))
        .expectVirtualHost("allow_any").expectCluster("PassthroughCluster").expectOk();
  }

  @Test
  void allowAny_unknownDestination_isPassedThroughByVirtualOutbound() {
    golden("basic-outbound").call(Call.tcp("192.0.2.10", 5555))
        .expectListener("virtualOutbound").expectFilterChain("virtualOutbound-catchall-tcp")
        .expectCluster("PassthroughCluster").expectOk();
  }

  @Test
  void tcpService_isReachedOnItsVip_andOtherTrafficOnItsPortPassesThrough() {
    Simulation sim = golden("basic-outbound");
    sim.call(Call.tcp("10.96.0.30", 3306)).expectListener("10.96.0.30_3306")
        .expectCluster("outbound|3306||db.default.svc.cluster.local").expectEndpoints("10.0.2.1:3306");
    sim.call(Call.tcp("10.96.0.99", 3306)).expectListener("virtualOutbound").expectCluster("PassthroughCluster");
  }

  @Test
  void subsets_selectEndpointsByLabel() {
    golden("basic-outbound").call(Call.http(REVIEWS, 9080))
        .expectCluster("outbound|9080||" + REVIEWS).expectEndpoints("10.0.1.1:9080", "10.0.1.2:9080", "10.0.1.3:9080");
  }

  @Test
  void rawTcpToAnHttpPort_takesThePassthroughDefaultChain() {
    golden("basic-outbound").call(Call.tcp(Call.UNKNOWN_ADDRESS, 9080))
        .expectListener("0.0.0.0_9080").expectDefaultFilterChain().expectCluster("PassthroughCluster");
  }

  @Test
  void registryOnly_unknownDestination_isBlackholed() {
    golden("registry-only-blackhole").call(Call.tcp("192.0.2.10", 5555))
        .expectListener("virtualOutbound").expectCluster("BlackHoleCluster").expectFailure(Failure.BLACKHOLE);
  }

  @Test
  void registryOnly_unknownHostOnAKnownHttpPort_gets502_knownHostIsRouted() {
    Simulation sim = golden("registry-only-blackhole");
    sim.call(Call.http("example.org", 80)).expectVirtualHost("block_all").expectDirectResponse(502);
    sim.call(Call.http("httpbin.org", 80)).expectCluster("outbound|80||httpbin.org").expectOk();
  }

  @Test
  void tlsOriginatedByTheApp_isRoutedBySni() {
    Simulation sim = golden("dns-service-entry");
    sim.call(Call.tls("api.example.com", 443)).expectListener("0.0.0.0_443")
        .expectCluster("outbound|443||api.example.com");
    sim.call(Call.tls("search.example.com", 443)).expectCluster("outbound|443||search.example.com");
    sim.call(Call.tls("unknown.example.com", 443)).expectDefaultFilterChain().expectCluster("PassthroughCluster");
  }

  @Test
  void egressBindListener_withoutCapture_isReachedDirectly() {
    Simulation sim = golden("sidecar-egress-bind-capture-none");
    sim.call(Call.http(REVIEWS, 18080).address("127.0.0.1").direct().header("x-user", "jason"))
        .expectListener("127.0.0.1_18080").expectRouteConfig("18080")
        .expectCluster("outbound|18080|v2|" + REVIEWS).expectEndpoints("127.0.0.3:8081");
    sim.call(Call.http("ratings.default.svc.cluster.local", 9090).address("127.0.0.1").direct())
        .expectListener("127.0.0.1_9090").expectCluster("outbound|9090||ratings.default.svc.cluster.local");
  }

  @Test
  void egressBindListener_importsOnlyItsNamespace_andNothingIsCaptured() {
    Simulation sim = golden("sidecar-egress-bind-capture-none");
    sim.call(Call.http("details.other.svc.cluster.local", 18080).address("127.0.0.1").direct())
        .as("not imported: only the catch-all virtual host").expectVirtualHost("allow_any");
    sim.call(Call.http(REVIEWS, 18080)).as("no iptables, no virtualOutbound").expectFailure(Failure.NO_LISTENER);
    sim.call(Call.http(REVIEWS, 18080).address("10.0.0.1").direct()).as("bound to 127.0.0.1 only")
        .expectFailure(Failure.NO_LISTENER);
  }

  @Test
  void inbound_httpAndTcpPorts_reachTheirInboundClusters() {
    Simulation sim = golden("inbound");
    sim.call(Call.http(REVIEWS, 8080).address("10.0.0.20").inbound())
        .expectListener("virtualInbound").expectFilterChain("0.0.0.0_8080").expectCluster("inbound|8080||").expectOk();
    sim.call(Call.tcp("10.0.0.20", 5432).inbound())
        .expectFilterChain("0.0.0.0_5432").expectCluster("inbound|5432||");
  }

  @Test
  void inbound_undeclaredPort_isPassedThrough() {
    Simulation sim = golden("inbound");
    sim.call(Call.tcp("10.0.0.20", 7777).inbound())
        .expectFilterChain("virtualInbound").expectCluster("InboundPassthroughCluster");
    sim.call(Call.http("anything", 7777).address("10.0.0.20").inbound())
        .expectFilterChain("virtualInbound-catchall-http").expectCluster("InboundPassthroughCluster");
  }

  @Test
  void routeFeatures_directResponseByMethod_andPrefixRoute() {
    Simulation sim = golden("route-features");
    String shop = "shop.default.svc.cluster.local";
    sim.call(Call.http(shop, 8080).path("/healthz")).expectRoute("health").expectDirectResponse(200);
    sim.call(Call.http(shop, 8080).path("/healthz").method("POST")).as("method must match: the unnamed catch-all route")
        .expectRoute("").expectCluster("outbound|8080||" + shop);
    sim.call(Call.http(shop, 8080).path("/api/orders")).expectRoute("api").expectCluster("outbound|8080||" + shop);
  }

  static Simulation golden(String scenario) {
    try {
      return Simulation.forScenario(Files.readString(Path.of("src/test/resources/golden", scenario, "input.yaml")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
