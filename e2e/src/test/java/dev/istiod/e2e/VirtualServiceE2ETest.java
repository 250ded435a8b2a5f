package dev.istiod.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every VirtualService HTTP feature proven by traffic through a real upstream Envoy: one VirtualService for
 * "reviews" routes each path prefix to a feature ({@link #VIRTUAL_SERVICE}), and each test sends requests and checks
 * what the client got and what the backends saw, then that Envoy rejected nothing. Backends v1 (127.0.0.2), v2
 * (127.0.0.3) and ratings (127.0.0.4) record every request.
 */
@Tag("e2e")
@ExtendWith(PrintLogsOnFailure.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class VirtualServiceE2ETest {
  static final String HOST = ReviewsYaml.HOST;
  static final String RATINGS_FILE = "ratings.yaml";

  /** One route per feature, by path; the last route sends everything else to v1. */
  static final String VIRTUAL_SERVICE = """
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata:
        name: reviews
        namespace: default
      spec:
        hosts:
        - reviews.default.svc.cluster.local
        http:
        - name: exact-and-header
          match:
          - uri: {exact: /exact}
            headers:
              x-canary: {exact: "yes"}
          route:
          - destination: {host: reviews.default.svc.cluster.local, subset: v2}
        - name: prefix
          match:
          - uri: {prefix: /v2/}
          - uri: {regex: "/version-2(/.*)?"}
          route:
          - destination: {host: reviews.default.svc.cluster.local, subset: v2}
        - name: retry
          match:
          - uri: {prefix: /retry}
          retries: {attempts: 3, retryOn: "5xx"}
          route:
          - destination: {host: reviews.default.svc.cluster.local, subset: v1}
        - name: timeout
          match:
          - uri: {prefix: /timeout}
          timeout: 500ms
          retries: {attempts: 0}
          route:
          - destination: {host: reviews.default.svc.cluster.local, subset: v2}
        - name: delay
          match:
          - uri: {prefix: /delay}
          fault:
            delay: {fixedDelay: 1s, percentage: {value: 100}}
          route:
          - destination: {host: reviews.default.svc.cluster.local, subset: v1}
        - name: abort
          match:
          - uri: {prefix: /abort}
          fault:
            abort: {httpStatus: 418, percentage: {value: 100}}
          route:
          - destination: {host: reviews.default.svc.cluster.local, subset: v1}
        - name: redirect
          match:
          - uri: {prefix: /old}
          redirect: {uri: /new, authority: moved.example.com, redirectCode: 302}
        - name: direct
          match:
          - uri: {exact: /direct}
          directResponse:
            status: 203
            body: {string: "answered by Envoy"}
        - name: mirror
          match:
          - uri: {prefix: /mirror}
          mirror: {host: ratings.default.svc.cluster.local}
          mirrorPercentage: {value: 100}
          route:
          - destination: {host: reviews.default.svc.cluster.local, subset: v1}
        - name: headers
          match:
          - uri: {prefix: /headers}
          headers:
            request:
              set: {x-route-added: route}
              remove: [x-secret]
            response:
              set: {x-route-response: route}
          route:
          - destination: {host: reviews.default.svc.cluster.local, subset: v2}
            headers:
              request:
                add: {x-destination-added: v2}
              response:
                remove: [x-served-by]
        - name: rewrite
          match:
          - uri: {prefix: /api/}
          rewrite: {uri: /internal/, authority: rewritten.internal}
          route:
          - destination: {host: reviews.default.svc.cluster.local, subset: v1}
        - name: split
          match:
          - uri: {prefix: /split}
          route:
          - destination: {host: reviews.default.svc.cluster.local, subset: v1}
            weight: 75
          - destination: {host: reviews.default.svc.cluster.local, subset: v2}
            weight: 25
        - name: rest
          route:
          - destination: {host: reviews.default.svc.cluster.local, subset: v1}
      """;

  @Test
  void uriAndHeaderMatches_pickTheRouteTheVirtualServiceNames(TestInfo info) {
    try (Mesh mesh = start(info)) {
      assertThat(get(mesh, "/exact", Map.of("x-canary", "yes")).servedBy()).isEqualTo("reviews-v2");
      assertThat(get(mesh, "/exact", Map.of("x-canary", "no")).servedBy()).as("header differs").isEqualTo("reviews-v1");
      assertThat(get(mesh, "/exact/more", Map.of("x-canary", "yes")).servedBy()).as("not exact").isEqualTo("reviews-v1");
      assertThat(get(mesh, "/v2/reviews", Map.of()).servedBy()).as("prefix").isEqualTo("reviews-v2");
      assertThat(get(mesh, "/version-2/x", Map.of()).servedBy()).as("regex").isEqualTo("reviews-v2");
      assertThat(get(mesh, "/version-22", Map.of()).servedBy()).as("regex is a full match").isEqualTo("reviews-v1");
      mesh.assertNoRejects();
    }
  }

  @Test
  void retries_aBackendFailingTheFirstAttempt_stillAnswers200_afterTwoAttempts(TestInfo info) {
    try (Mesh mesh = start(info)) {
      mesh.v1().clearRequests();
      mesh.v1().failNext(1, 503);

      HttpCall.Reply reply = get(mesh, "/retry", Map.of());

      assertThat(reply.status()).as("client status after the retry").isEqualTo(200);
      assertThat(reply.servedBy()).isEqualTo("reviews-v1");
      assertThat(mesh.v1().requests()).as("attempts the backend saw").hasSize(2)
          .allSatisfy(r -> assertThat(r.path()).isEqualTo("/retry"));
      assertThat(mesh.v1().requests().get(1).headers()).as("Envoy counts the attempts")
          .containsEntry("x-envoy-attempt-count", "2");

      // Istio's default policy (routes without retries) does not retry a 503 the backend answers.
      mesh.v1().clearRequests();
      mesh.v1().failNext(1, 503);
      assertThat(get(mesh, "/", Map.of()).status()).as("default policy, backend 503").isEqualTo(503);
      assertThat(mesh.v1().requests()).as("attempts under the default policy").hasSize(1);
      mesh.assertNoRejects();
    }
  }

  @Test
  void timeout_answers504_whenTheBackendIsSlowerThanTheRouteTimeout(TestInfo info) {
    try (Mesh mesh = start(info)) {
      mesh.v2().delayNext(1, Duration.ofSeconds(3));

      HttpCall.Reply reply = get(mesh, "/timeout", Map.of());

      assertThat(reply.status()).as("status of a request past its 500ms route timeout").isEqualTo(504);
      assertThat(reply.body()).contains("upstream request timeout");
      assertThat(get(mesh, "/timeout", Map.of()).status()).as("a fast backend within the timeout").isEqualTo(200);
      mesh.assertNoRejects();
    }
  }

  @Test
  void faults_injectTheDelayAndTheAbortStatus(TestInfo info) {
    try (Mesh mesh = start(info)) {
      mesh.v1().clearRequests();
      HttpCall.Reply aborted = get(mesh, "/abort", Map.of());
      assertThat(aborted.status()).as("injected abort status").isEqualTo(418);
      assertThat(aborted.servedBy()).isEmpty();
      assertThat(mesh.v1().requests()).as("an aborted request never reaches the backend").isEmpty();

      long start = System.nanoTime();
      HttpCall.Reply delayed = get(mesh, "/delay", Map.of());
      Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
      assertThat(delayed.status()).isEqualTo(200);
      // A lower bound only: the fault filter holds the request at least the fixed delay.
      assertThat(elapsed).as("time to answer a request delayed by 1s").isGreaterThanOrEqualTo(Duration.ofSeconds(1));
      assertThat(mesh.envoy().stats("fault\\.delays_injected$").values()).as("Envoy's injected delay count")
          .contains(1L);
      assertThat(mesh.envoy().stats("fault\\.aborts_injected$").values()).as("Envoy's injected abort count")
          .contains(1L);
      mesh.assertNoRejects();
    }
  }

  @Test
  void redirectAndDirectResponse_areAnsweredByEnvoy(TestInfo info) {
    try (Mesh mesh = start(info)) {
      HttpCall.Reply redirect = get(mesh, "/old/page", Map.of());
      assertThat(redirect.status()).isEqualTo(302);
      assertThat(redirect.headers().get("location")).isEqualTo("http://moved.example.com/new");

      HttpCall.Reply direct = get(mesh, "/direct", Map.of());
      assertThat(direct.status()).isEqualTo(203);
      assertThat(direct.body()).isEqualTo("answered by Envoy");
      assertThat(direct.servedBy()).isEmpty();
      mesh.assertNoRejects();
    }
  }

  @Test
  void mirror_sendsACopyToTheMirrorBackend(TestInfo info) {
    try (Mesh mesh = start(info)) {
      mesh.config().write(RATINGS_FILE, ReviewsYaml.ratingsServiceEntry(mesh.port()));
      // The mirror cluster appears once the ratings ServiceEntry is pushed; until then nothing is mirrored.
      mesh.awaitTraffic("ratings receives the mirrored copy", m -> {
        m.ratings().clearRequests();
        assertThat(get(m, "/mirror/1", Map.of("x-mirror-probe", "1")).servedBy()).isEqualTo("reviews-v1");
        try {
          org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(2))
              .untilAsserted(() -> assertThat(m.ratings().requests()).isNotEmpty());
        } catch (org.awaitility.core.ConditionTimeoutException notYet) {
          // An assertion failure, so that the outer wait tries again (the mirror cluster may not be pushed yet)
          // instead of ending the test on its first attempt.
          throw new AssertionError("no mirrored copy within 2 s", notYet);
        }
      });
      Backend.Request copy = mesh.ratings().requests().get(0);
      assertThat(copy.path()).isEqualTo("/mirror/1");
      assertThat(copy.headers()).containsEntry("x-mirror-probe", "1")
          .containsEntry("host", HOST + "-shadow");
      mesh.assertNoRejects();
    }
  }

  @Test
  void headerOperations_reachTheBackendAndTheClient(TestInfo info) {
    try (Mesh mesh = start(info)) {
      mesh.v2().clearRequests();
      HttpCall.Reply reply = get(mesh, "/headers", Map.of("x-secret", "s3cret", "x-route-added", "from-client"));

      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.headers()).as("response headers the client sees")
          .containsEntry("x-route-response", "route").doesNotContainKey(Backend.SERVED_BY);
      assertThat(mesh.v2().requests()).hasSize(1);
      assertThat(mesh.v2().requests().get(0).headers()).as("request headers the backend sees")
          .containsEntry("x-route-added", "route")
          .containsEntry("x-destination-added", "v2")
          .doesNotContainKey("x-secret");

      mesh.v1().clearRequests();
      assertThat(get(mesh, "/api/items", Map.of()).status()).isEqualTo(200);
      assertThat(mesh.v1().requests()).singleElement().satisfies(r -> {
        assertThat(r.path()).as("prefix rewrite").isEqualTo("/internal/items");
        assertThat(r.headers()).as("authority rewrite").containsEntry("host", "rewritten.internal");
      });
      mesh.assertNoRejects();
    }
  }

  @Test
  void weightedSplit_75_25_landsWithinTolerance(TestInfo info) {
    try (Mesh mesh = start(info)) {
      List<String> served = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        served.add(get(mesh, "/split", Map.of()).servedBy());
      }

      assertThat(served).containsOnly("reviews-v1", "reviews-v2");
      // 200 requests at p=0.75: mean 150, sd 6.1; [120, 180] is about ±5 sd (odds of a false failure below 1e-6).
      assertThat(Collections.frequency(served, "reviews-v1")).as("requests on v1 of 200").isBetween(120, 180);
      mesh.assertNoRejects();
    }
  }

  private static Mesh start(TestInfo info) {
    Mesh mesh = Mesh.start(Workspace.forTest(info), AdsMode.DELTA, VIRTUAL_SERVICE);
    try {
      mesh.awaitTraffic("the VirtualService is in force", m ->
          assertThat(get(m, "/direct", Map.of()).status()).isEqualTo(203));
      return mesh;
    } catch (RuntimeException | AssertionError e) {
      mesh.close();
      throw e;
    }
  }

  private static HttpCall.Reply get(Mesh mesh, String path, Map<String, String> headers) {
    return HttpCall.get("127.0.0.1", mesh.port(), HOST, path, headers);
  }
}
