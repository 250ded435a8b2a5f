package dev.istiod.e2e;

import static dev.istiod.e2e.Mesh.PLAIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * DestinationRule traffic policies proven by traffic through a real upstream Envoy: outlier detection ejects a
 * backend that answers 5xx, consistent hashing by header keeps each user on one backend, TLS origination reaches an
 * HTTPS backend only when its certificate verifies, and locality failover (by proximity, or by failoverPriority
 * labels) sends everything to the closest endpoint until outlier detection ejects it. Envoy rejects nothing.
 *
 * <p>Each test starts the usual mesh (reviews v1 on 127.0.0.2, v2 on 127.0.0.3, the sidecar's egress listener on
 * 127.0.0.1), then replaces the service file with the ServiceEntry and DestinationRule under test and waits until
 * Envoy's configuration shows the rule.
 */
@Tag("e2e")
@ExtendWith(PrintLogsOnFailure.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DestinationRuleE2ETest {
  static final String HOST = ReviewsYaml.HOST;
  static final String SECURE_HOST = "secure.default.svc.cluster.local";
  /** The name in the TLS backend's certificate (also the SNI Envoy sends). */
  static final String SECURE_CERT_NAME = "secure.test";
  static final String SECURE_FILE = "secure.yaml";
  static final String USER_HEADER = "x-user";

  /** Every request to reviews, without subsets: the DestinationRule alone decides which backend answers. */
  static final String VIRTUAL_SERVICE = """
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: reviews, namespace: default}
      spec:
        hosts: [%s]
        http:
        - route:
          - destination: {host: %s}
      """.formatted(HOST, HOST);

  @ParameterizedTest(name = "{0}")
  @EnumSource(AdsMode.class)
  void outlierDetection_ejectsTheBackendAnswering5xx_andTrafficOnlyReachesTheHealthyOne(AdsMode mode, TestInfo info) {
    try (Mesh mesh = Mesh.start(Workspace.forTest(info), mode, VIRTUAL_SERVICE)) {
      mesh.config().write(Mesh.SERVICE_FILE, reviews(mesh.port(), "", "", """
          loadBalancer: {simple: ROUND_ROBIN}
          outlierDetection: {consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 5m, maxEjectionPercent: 100}
          """));
      awaitEnvoyConfig(mesh, "\"outlier_detection\"");
      mesh.awaitTraffic("round robin over both backends", m ->
          assertThat(m.servedBy(10, PLAIN)).contains("reviews-v1", "reviews-v2"));

      mesh.v1().failNext(Integer.MAX_VALUE, 503);
      mesh.awaitTraffic("v1 ejected: 20 requests in a row answered 200 by v2", m ->
          assertThat(replies(m, 20)).containsOnly("200 reviews-v2"));
      mesh.v1().clearRequests();

      assertThat(replies(mesh, 30)).containsOnly("200 reviews-v2");
      assertThat(mesh.v1().requests()).as("requests reaching the ejected backend").isEmpty();
      mesh.assertNoRejects();
    }
  }

  @Test
  void consistentHashByHeader_keepsEachUserOnOneBackend_andSpreadsUsersOverBoth(TestInfo info) {
    try (Mesh mesh = Mesh.start(Workspace.forTest(info), AdsMode.DELTA, VIRTUAL_SERVICE)) {
      mesh.config().write(Mesh.SERVICE_FILE, reviews(mesh.port(), "", "", """
          loadBalancer:
            consistentHash: {httpHeaderName: %s, ringHash: {minimumRingSize: 1024}}
          """.formatted(USER_HEADER)));
      awaitEnvoyConfig(mesh, "RING_HASH");
      mesh.awaitTraffic("reviews answers", m -> assertThat(m.send(PLAIN).status()).isEqualTo(200));

      Set<String> backendsOfAllUsers = new HashSet<>();
      for (int user = 0; user < 20; user++) {
        List<String> servedBy = mesh.servedBy(8, Map.of(USER_HEADER, "user-" + user));
        assertThat(Set.copyOf(servedBy)).as("backends that served user-%d", user).hasSize(1);
        backendsOfAllUsers.addAll(servedBy);
      }
      // 20 users on two equally weighted hosts all hashing to one host has odds of 2^-19.
      assertThat(backendsOfAllUsers).containsExactlyInAnyOrder("reviews-v1", "reviews-v2");
      mesh.assertNoRejects();
    }
  }

  @Test
  void tlsOriginationSimple_reachesTheHttpsBackend_onlyWhenItsCertificateVerifies(TestInfo info) {
    try (Mesh mesh = Mesh.start(Workspace.forTest(info), AdsMode.SOTW, VIRTUAL_SERVICE)) {
      GatewayE2ETest.Certificate cert = GatewayE2ETest.Certificate.generate(
          mesh.config().path().getParent().resolve("secure-cert"), SECURE_CERT_NAME);
      try (GatewayE2ETest.TlsBackend secure = GatewayE2ETest.TlsBackend.start("secure", "127.0.0.5", mesh.port(), cert)) {
        mesh.config().write(SECURE_FILE, secure(mesh.port(), cert.certFile().toString(), SECURE_CERT_NAME));
        mesh.awaitTraffic("plain HTTP from the client reaches the HTTPS backend over TLS", m -> {
          HttpCall.Reply reply = m.sendTo(SECURE_HOST, PLAIN);
          assertThat(reply.status()).as("%s", reply).isEqualTo(200);
          assertThat(reply.servedBy()).isEqualTo("secure");
        });

        mesh.config().write(SECURE_FILE, secure(mesh.port(), cert.certFile().toString(), "someone-else.test"));
        mesh.awaitTraffic("a certificate without the expected SAN is refused", m ->
            assertThat(m.sendTo(SECURE_HOST, PLAIN).status()).isEqualTo(503));
        assertThat(mesh.sendTo(SECURE_HOST, PLAIN).servedBy()).isEmpty();
        assertThat(mesh.envoy().stats("secure\\.default.*ssl\\.fail_verify_san$"))
            .as("handshakes Envoy refused for the certificate's SAN").isNotEmpty()
            .allSatisfy((name, count) -> assertThat(count).isPositive());
        mesh.assertNoRejects();
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"locality", "failoverPriority"})
  void localityFailover_sendsEverythingToTheClosestBackend_untilOutlierDetectionEjectsIt(String how, TestInfo info) {
    // The proxy has no locality and the label version=v1: v1 (no locality) is as close as it gets, v2 sits in
    // another region; with failoverPriority, v1 shares the proxy's version label and v2 does not.
    String v2Locality = how.equals("locality") ? "us-west/zone-c" : "";
    String localitySetting = how.equals("locality") ? "" : """
        loadBalancer:
          localityLbSetting:
            failoverPriority: [version]
        """;
    try (Mesh mesh = Mesh.start(Workspace.forTest(info), AdsMode.SOTW, VIRTUAL_SERVICE)) {
      mesh.config().write(Mesh.SERVICE_FILE, reviews(mesh.port(), "", v2Locality, """
          outlierDetection: {consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 5m, maxEjectionPercent: 100}
          """ + localitySetting));
      awaitEnvoyConfig(mesh, "\"priority\": 1");
      mesh.awaitTraffic("everything goes to v1, the closest", m ->
          assertThat(m.servedBy(20, PLAIN)).containsOnly("reviews-v1"));

      mesh.v1().failNext(Integer.MAX_VALUE, 503);
      mesh.awaitTraffic("v1 ejected: traffic fails over to v2", m ->
          assertThat(replies(m, 20)).containsOnly("200 reviews-v2"));
      mesh.assertNoRejects();
    }
  }

  /** {@code count} replies as "status served-by". */
  private static List<String> replies(Mesh mesh, int count) {
    return java.util.stream.IntStream.range(0, count)
        .mapToObj(i -> mesh.send(PLAIN))
        .map(r -> r.status() + " " + r.servedBy())
        .toList();
  }

  /** Waits until Envoy's config dump (endpoints included) contains {@code text}: the rule reached Envoy. */
  private static void awaitEnvoyConfig(Mesh mesh, String text) {
    await("Envoy's config shows " + text).atMost(Mesh.CONVERGENCE_BOUND).pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> assertThat(mesh.envoy().admin("/config_dump?include_eds").body()).contains(text));
  }

  /**
   * The reviews ServiceEntry (v1 on 127.0.0.2, v2 on 127.0.0.3, each with an optional locality) and a
   * DestinationRule whose {@code trafficPolicy} is {@code policyYaml}.
   */
  static String reviews(int port, String v1Locality, String v2Locality, String policyYaml) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: reviews, namespace: default}
        spec:
          hosts: [%s]
          location: MESH_INTERNAL
          resolution: STATIC
          ports:
          - {number: %d, name: http, protocol: HTTP}
          endpoints:
          - {address: 127.0.0.2, labels: {app: reviews, version: v1}%s}
          - {address: 127.0.0.3, labels: {app: reviews, version: v2}%s}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: default}
        spec:
          host: %s
          trafficPolicy:
        %s""".formatted(HOST, port, locality(v1Locality), locality(v2Locality), HOST, policyYaml.indent(4));
  }

  private static String locality(String l) {
    return l.isEmpty() ? "" : ", locality: " + l;
  }

  /** An HTTP service on the HTTPS backend (127.0.0.5), with TLS originated by the sidecar. */
  static String secure(int port, String caFile, String expectedSan) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: secure, namespace: default}
        spec:
          hosts: [%s]
          location: MESH_INTERNAL
          resolution: STATIC
          ports:
          - {number: %d, name: http, protocol: HTTP}
          endpoints:
          - {address: 127.0.0.5}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: secure, namespace: default}
        spec:
          host: %s
          trafficPolicy:
            tls:
              mode: SIMPLE
              caCertificates: %s
              sni: %s
              subjectAltNames: [%s]
        """.formatted(SECURE_HOST, port, SECURE_HOST, caFile, SECURE_CERT_NAME, expectedSan);
  }
}
