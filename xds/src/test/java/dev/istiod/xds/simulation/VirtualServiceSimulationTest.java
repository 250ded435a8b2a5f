package dev.istiod.xds.simulation;

import static dev.istiod.xds.simulation.GoldenScenarioSimulationTest.golden;

import org.junit.jupiter.api.Test;

/**
 * Where calls go under the VirtualService HTTP scenarios ({@code golden/vs-*}), stated as traffic
 * through the generated listeners, virtual hosts and routes.
 */
class VirtualServiceSimulationTest {
  private static final String REVIEWS = "reviews.default.svc.cluster.local";
  private static final String V1 = "outbound|9080|v1|" + REVIEWS;
  private static final String V2 = "outbound|9080|v2|" + REVIEWS;

  @Test
  void uriMatches_exactPrefixIgnoringCaseAndRegex() {
    Simulation sim = golden("vs-match-uri");
    sim.call(Call.http(REVIEWS, 9080).path("/login")).expectRoute("exact").expectCluster(V2);
    sim.call(Call.http(REVIEWS, 9080).path("/login/x")).as("exact only").expectRoute("rest").expectCluster(V1);
    sim.call(Call.http(REVIEWS, 9080).path("/API/V2/books")).as("ignoreUriCase").expectRoute("prefix");
    sim.call(Call.http(REVIEWS, 9080).path("/items/42")).expectRoute("regex").expectCluster(V2);
    sim.call(Call.http(REVIEWS, 9080).path("/items/abc")).as("regex is a full match").expectRoute("rest");
  }

  @Test
  void headerMatches_withoutHeadersInvertsTheCondition() {
    Simulation sim = golden("vs-match-headers");
    sim.call(Call.http(REVIEWS, 9080)).as("none of the excluded headers").expectRoute("without").expectCluster(V2);
    sim.call(Call.http(REVIEWS, 9080).header("x-env", "prod")).as("x-env: prod is excluded").expectRoute("");
    sim.call(Call.http(REVIEWS, 9080).header("x-env", "dev").header("x-region", "us-1"))
        .expectRoute("without");
    sim.call(Call.http(REVIEWS, 9080).header("x-debug", "1")).as("x-debug present is excluded").expectRoute("");
  }

  @Test
  void methodAuthorityAndQueryMatches() {
    Simulation sim = golden("vs-match-request-attributes");
    sim.call(Call.http(REVIEWS, 9080).path("/?version=2&lang=en-GB&id=7&debug")).expectRoute("query").expectCluster(V2);
    sim.call(Call.http(REVIEWS, 9080).path("/?version=3&lang=en-GB&id=7&debug")).expectRoute("").expectCluster(V1);
    sim.call(Call.http(REVIEWS, 9080).method("POST")).as("plain http, not https").expectRoute("");
  }

  @Test
  void portMatch_appliesOnlyOnThatListenerPort() {
    Simulation sim = golden("vs-match-port");
    sim.call(Call.http(REVIEWS, 8080).path("/admin/x")).expectRoute("admin")
        .expectCluster("outbound|8080|v2|" + REVIEWS);
    sim.call(Call.http(REVIEWS, 9080).path("/admin/x")).expectRoute("main").expectCluster(V1);
  }

  @Test
  void sourceLabelsAndNamespace_onlyTheMatchingRouteRemains() {
    golden("vs-match-source").call(Call.http(REVIEWS, 9080).path("/api/x")).expectRoute("from-productpage")
        .expectCluster(V2);
    golden("vs-match-source").call(Call.http(REVIEWS, 9080).path("/x")).expectRoute("").expectCluster(V1);
  }

  @Test
  void delegate_rootPrefixNarrowedByTheDelegate() {
    Simulation sim = golden("vs-delegate");
    sim.call(Call.http(REVIEWS, 9080).path("/reviews/v2/1")).expectRoute("reviews-v2").expectCluster(V2);
    sim.call(Call.http(REVIEWS, 9080).path("/reviews/1")).expectRoute("reviews-all").expectCluster(V1);
    sim.call(Call.http(REVIEWS, 9080).path("/hidden")).as("delegate not exported").expectRoute("rest");
    sim.call(Call.http(REVIEWS, 9080).path("/other")).as("conflicting delegate route dropped").expectRoute("rest");
  }

  @Test
  void mergedHost_theOlderVirtualServiceWins() {
    Simulation sim = golden("vs-merge");
    sim.call(Call.http(REVIEWS, 9080).path("/first")).expectRoute("first").expectCluster(V1);
    sim.call(Call.http(REVIEWS, 9080).path("/second")).expectFailure(Failure.NO_ROUTE);
  }

  @Test
  void redirectsAndDirectResponses_answeredByEnvoy() {
    golden("vs-redirect").call(Call.http(REVIEWS, 9080).path("/secure/x")).expectRedirect(308,
        "https://" + REVIEWS + ":8443/secure/x");
    golden("vs-direct-response").call(Call.http(REVIEWS, 9080).path("/teapot")).expectDirectResponse(418);
  }

  @Test
  void invalidRoutes_droppedWhileTheRestStillRoutes() {
    Simulation sim = golden("vs-invalid-routes-dropped");
    sim.call(Call.http(REVIEWS, 9080).path("/" + "ab".repeat(60))).as("dropped huge regex").expectRoute("")
        .expectCluster(V1);
    sim.call(Call.http(REVIEWS, 9080).path("/ok")).expectRoute("ok").expectCluster(V2);
  }
}
