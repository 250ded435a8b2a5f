package dev.istiod.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * RequestAuthentication enforced by a real upstream Envoy on a sidecar's INBOUND path. The sidecar (no traffic
 * capture) declares its inbound port with a Sidecar ingress listener on 127.0.0.1 in front of the workload, a
 * backend on another port; the test calls that listener directly, as a peer would. A RequestAuthentication
 * selecting the workload carries the public half of an RSA key the test generated (inline JWKS) and signs its
 * own tokens with the JDK. What a user relies on: a request without a token still reaches the workload (the
 * policy alone requires none); a valid token reaches it with the verified payload and a claim as headers; a token
 * that is expired, from an issuer no rule names, signed by another key or malformed is refused with Envoy's 401
 * (one for another audience with Envoy's 403) and the workload never sees the request. An ingress gateway
 * enforces the same, with keys istiod fetched itself from the rule's jwksUri.
 */
@Tag("e2e")
@ExtendWith(PrintLogsOnFailure.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class RequestAuthenticationE2ETest {
  static final String ISSUER = "https://issuer.e2e.example";
  static final String AUDIENCE = "server.default";
  static final String ID_HEADER = "x-e2e-id";
  static final String PAYLOAD_HEADER = "x-jwt-payload";
  static final String SUBJECT_HEADER = "x-jwt-sub";

  @ParameterizedTest(name = "{0}")
  @EnumSource(AdsMode.class)
  void jwtRules_refuseBadTokens_letValidAndMissingTokensThrough(AdsMode mode, TestInfo info)
      throws GeneralSecurityException {
    KeyPair issuerKey = rsaKeyPair();
    KeyPair otherKey = rsaKeyPair();
    AtomicInteger ids = new AtomicInteger();
    try (SidecarMesh mesh = new SidecarMesh(Workspace.forTest(info))) {
      Backend server = SidecarMesh.onFreePort(p -> mesh.own(Backend.start("server", "127.0.0.1", p)));
      int inboundPort = freePortOtherThan(server.port());
      mesh.config().write("workload.yaml", workload(inboundPort, server.port()));
      mesh.start(mode);

      mesh.await("the inbound listener serves the workload", m ->
          assertThat(send(inboundPort, "warmup-" + ids.incrementAndGet(), null).servedBy()).isEqualTo("server"));

      mesh.config().write("jwt.yaml", requestAuthentication(jwks((RSAPublicKey) issuerKey.getPublic())));
      String strangerToken = jwt(issuerKey, claims("https://stranger.example", AUDIENCE, 600));
      mesh.await("a token of an issuer no rule names is refused", m -> {
        HttpCall.Reply reply = send(inboundPort, "stranger-" + ids.incrementAndGet(), strangerToken);
        assertThat(reply.status()).as("%s", reply).isEqualTo(401);
        assertThat(reply.body()).isEqualTo("Jwt issuer is not configured");
      });
      server.clearRequests();

      // No token: RequestAuthentication alone never requires one.
      String none = "none-" + ids.incrementAndGet();
      HttpCall.Reply noToken = send(inboundPort, none, null);
      assertThat(noToken.status()).as("%s", noToken).isEqualTo(200);
      assertThat(noToken.servedBy()).isEqualTo("server");

      // A valid token: accepted, its payload and subject forwarded to the workload.
      String valid = "valid-" + ids.incrementAndGet();
      HttpCall.Reply accepted = send(inboundPort, valid, jwt(issuerKey, claims(ISSUER, AUDIENCE, 600)));
      assertThat(accepted.status()).as("%s", accepted).isEqualTo(200);
      Backend.Request seen = server.requests().stream().filter(r -> valid.equals(r.headers().get(ID_HEADER)))
          .findFirst().orElseThrow(() -> new AssertionError("the workload never saw the valid request"));
      assertThat(new String(Base64.getUrlDecoder().decode(seen.headers().get(PAYLOAD_HEADER)), StandardCharsets.UTF_8))
          .as("verified payload forwarded in " + PAYLOAD_HEADER).contains("\"iss\":\"" + ISSUER + "\"")
          .contains("\"sub\":\"alice\"");
      assertThat(seen.headers()).containsEntry(SUBJECT_HEADER, "alice");

      // Tokens that fail verification: refused with Envoy's status and reason (401; an audience the rule does not
      // list is 403, as Envoy answers it), and the workload never sees them.
      Map<String, Refusal> refused = new LinkedHashMap<>();
      refused.put("expired", new Refusal(jwt(issuerKey, claims(ISSUER, AUDIENCE, -600)), 401, "Jwt is expired"));
      refused.put("bad-signature", new Refusal(jwt(otherKey, claims(ISSUER, AUDIENCE, 600)), 401,
          "Jwt verification fails"));
      refused.put("other-issuer", new Refusal(strangerToken, 401, "Jwt issuer is not configured"));
      refused.put("not-a-jwt", new Refusal("not.a.jwt", 401, "Jwt header is an invalid JSON"));
      refused.put("wrong-audience", new Refusal(jwt(issuerKey, claims(ISSUER, "someone-else", 600)), 403,
          "Audiences in Jwt are not allowed"));
      for (Map.Entry<String, Refusal> e : refused.entrySet()) {
        String id = e.getKey() + "-" + ids.incrementAndGet();
        HttpCall.Reply reply = send(inboundPort, id, e.getValue().token());
        assertThat(reply.status()).as("%s: %s", e.getKey(), reply).isEqualTo(e.getValue().status());
        assertThat(reply.body()).as(e.getKey()).isEqualTo(e.getValue().reason());
        assertThat(server.requests()).as("requests the workload saw").noneMatch(r -> id.equals(r.headers().get(ID_HEADER)));
      }
      assertThat(server.requests()).extracting(r -> r.headers().get(ID_HEADER)).containsExactly(none, valid);
      mesh.assertNoRejects();
    }
  }

  /**
   * A gateway checks tokens too, with keys istiod fetched itself: the RequestAuthentication selecting the ingress
   * gateway names only a {@code jwksUri} (plain HTTP on loopback; HTTPS fetching is unit-tested), istiod fetches
   * it and inlines the keys. A valid token then passes, which it could not with the "fail all" key set istiod
   * inlines while the keys are unknown; a token signed by another key is refused and never reaches the backend.
   */
  @Test
  void gateway_verifiesTokensWithKeysIstiodFetchedFromJwksUri(TestInfo info) throws Exception {
    KeyPair issuerKey = rsaKeyPair();
    KeyPair otherKey = rsaKeyPair();
    Path work = Workspace.forTest(info);
    AtomicInteger jwksFetches = new AtomicInteger();
    HttpServer jwksServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
    byte[] jwksBody = jwks((RSAPublicKey) issuerKey.getPublic()).getBytes(StandardCharsets.UTF_8);
    jwksServer.createContext("/jwks.json", exchange -> {
      jwksFetches.incrementAndGet();
      exchange.getResponseHeaders().add("content-type", "application/json");
      exchange.sendResponseHeaders(200, jwksBody.length);
      try (exchange; var out = exchange.getResponseBody()) {
        out.write(jwksBody);
      }
    });
    jwksServer.start();
    List<AutoCloseable> closeables = new ArrayList<>();
    closeables.add(() -> jwksServer.stop(0));
    try {
      Backend web = Backend.start("web", "127.0.0.2", Ports.freeLoopbackPort());
      closeables.add(web);
      int gatewayPort = Ports.freeLoopbackPort();
      ConfigDir config = new ConfigDir(work);
      config.write("gateway.yaml", gatewayConfig(gatewayPort, web.port(),
          "http://127.0.0.1:" + jwksServer.getAddress().getPort() + "/jwks.json"));
      IstiodProcess istiod = IstiodProcess.start(config.path(), work, Map.of());
      closeables.add(0, istiod);
      EnvoyProcess envoy = EnvoyProcess.startGateway(work, GatewayE2ETest.GATEWAY, AdsMode.DELTA, istiod.grpcPort());
      closeables.add(0, envoy);

      String valid = jwt(issuerKey, claims(ISSUER, AUDIENCE, 600));
      org.awaitility.Awaitility.await("the gateway accepts a token verified with the fetched keys")
          .atMost(SidecarMesh.CONVERGENCE_BOUND).pollInterval(java.time.Duration.ofMillis(250))
          .untilAsserted(() -> assertThat(gatewaySend(gatewayPort, "probe", valid).servedBy()).isEqualTo("web"));
      web.clearRequests();

      HttpCall.Reply noToken = gatewaySend(gatewayPort, "none", null);
      HttpCall.Reply forged = gatewaySend(gatewayPort, "forged", jwt(otherKey, claims(ISSUER, AUDIENCE, 600)));

      assertThat(noToken.status()).as("%s", noToken).isEqualTo(200);
      assertThat(forged.status()).as("%s", forged).isEqualTo(401);
      assertThat(forged.body()).isEqualTo("Jwt verification fails");
      assertThat(web.requests()).extracting(r -> r.headers().get(ID_HEADER)).containsExactly("none");
      assertThat(jwksFetches.get()).as("JWKS fetches by istiod").isPositive();
      assertThat(envoy.stats("update_rejected$")).as("Envoy update_rejected stats (see envoy.log)")
          .isNotEmpty().allSatisfy((name, value) -> assertThat(value).as(name).isZero());
      assertThat(istiod.metric("pilot_total_xds_rejects")).as("istiod pilot_total_xds_rejects").isZero();
    } finally {
      for (AutoCloseable c : closeables) {
        try {
          c.close();
        } catch (Exception e) {
          // keep closing the rest
        }
      }
    }
  }

  private static HttpCall.Reply gatewaySend(int port, String id, String token) {
    Map<String, String> headers = new HashMap<>();
    headers.put(ID_HEADER, id);
    if (token != null) {
      headers.put("Authorization", "Bearer " + token);
    }
    return HttpCall.get("127.0.0.1", port, "web.example.com", "/", headers);
  }

  static String gatewayConfig(int gatewayPort, int webPort, String jwksUri) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: web, namespace: default}
        spec:
          hosts: [web.default.svc.cluster.local]
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{number: %2$d, name: http, protocol: HTTP}]
          endpoints: [{address: 127.0.0.2}]
        ---
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: ingress, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: %1$d, name: http, protocol: HTTP}
            bind: 127.0.0.1
            hosts: ["*.example.com"]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: web, namespace: default}
        spec:
          hosts: [web.example.com]
          gateways: [istio-system/ingress]
          http:
          - route:
            - destination: {host: web.default.svc.cluster.local}
        ---
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: ingress-jwt, namespace: istio-system}
        spec:
          selector:
            matchLabels: {istio: ingressgateway}
          jwtRules:
          - issuer: %3$s
            audiences: [%4$s]
            jwksUri: %5$s
        """.formatted(gatewayPort, webPort, ISSUER, AUDIENCE, jwksUri);
  }

  /** A token the sidecar must refuse, and how Envoy says so. */
  private record Refusal(String token, int status, String reason) {}

  private static int freePortOtherThan(int taken) {
    int port = Ports.freeLoopbackPort();
    while (port == taken) {
      port = Ports.freeLoopbackPort();
    }
    return port;
  }

  private static HttpCall.Reply send(int port, String id, String token) {
    Map<String, String> headers = new HashMap<>();
    headers.put(ID_HEADER, id);
    if (token != null) {
      headers.put("Authorization", "Bearer " + token);
    }
    return HttpCall.get("127.0.0.1", port, "server.default.svc.cluster.local", "/", headers);
  }

  /**
   * The sidecar's workload: a WorkloadEntry at the sidecar's IP with its labels, a Service selecting it, and a
   * Sidecar whose ingress listener on that IP forwards {@code inboundPort} to the backend's port. Its egress sees
   * no service, so no outbound listener on 0.0.0.0 shares the port (it would loop requests back to itself).
   */
  static String workload(int inboundPort, int backendPort) {
    SidecarNode node = SidecarNode.client();
    return """
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: %1$s, namespace: %2$s}
        spec:
          address: %3$s
          labels: {app: %4$s}
          serviceAccount: default
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: server, namespace: %2$s}
        spec:
          hosts: [server.default.svc.cluster.local]
          location: MESH_INTERNAL
          resolution: STATIC
          ports:
          - {number: %5$d, name: http, protocol: HTTP}
          workloadSelector:
            labels: {app: %4$s}
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: server, namespace: %2$s}
        spec:
          workloadSelector:
            labels: {app: %4$s}
          ingress:
          - port: {number: %5$d, protocol: HTTP, name: http}
            defaultEndpoint: 127.0.0.1:%6$d
            captureMode: NONE
          egress:
          - hosts: ["istio-system/*"]
        """.formatted(node.podName(), node.namespace(), node.ip(), node.workloadName(), inboundPort, backendPort);
  }

  static String requestAuthentication(String jwks) {
    return """
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: jwt, namespace: %s}
        spec:
          selector:
            matchLabels: {app: %s}
          jwtRules:
          - issuer: %s
            audiences: [%s]
            jwks: '%s'
            outputPayloadToHeader: %s
            outputClaimToHeaders:
            - {header: %s, claim: sub}
        """.formatted(SidecarNode.client().namespace(), SidecarNode.client().workloadName(), ISSUER, AUDIENCE, jwks,
        PAYLOAD_HEADER, SUBJECT_HEADER);
  }

  static KeyPair rsaKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    return g.generateKeyPair();
  }

  /** A JWKS with the public key only (RFC 7517: n and e as unsigned big-endian base64url). */
  static String jwks(RSAPublicKey key) {
    return "{\"keys\":[{\"kty\":\"RSA\",\"alg\":\"RS256\",\"use\":\"sig\",\"kid\":\"e2e\",\"n\":\""
        + unsigned(key.getModulus()) + "\",\"e\":\"" + unsigned(key.getPublicExponent()) + "\"}]}";
  }

  /** Claims of a token valid from a minute ago until {@code expiresInSeconds} from now (negative: expired). */
  static String claims(String issuer, String audience, long expiresInSeconds) {
    long now = Instant.now().getEpochSecond();
    return "{\"iss\":\"" + issuer + "\",\"sub\":\"alice\",\"aud\":\"" + audience + "\",\"iat\":" + (now - 60)
        + ",\"exp\":" + (now + expiresInSeconds) + "}";
  }

  /** A compact RS256 JWS (RFC 7515) of {@code claimsJson}. */
  static String jwt(KeyPair key, String claimsJson) throws GeneralSecurityException {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String signingInput = b64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"e2e\"}"
        .getBytes(StandardCharsets.UTF_8)) + "." + b64.encodeToString(claimsJson.getBytes(StandardCharsets.UTF_8));
    Signature s = Signature.getInstance("SHA256withRSA");
    s.initSign(key.getPrivate());
    s.update(signingInput.getBytes(StandardCharsets.US_ASCII));
    return signingInput + "." + b64.encodeToString(s.sign());
  }

  private static String unsigned(BigInteger value) {
    byte[] bytes = value.toByteArray();
    if (bytes.length > 1 && bytes[0] == 0) {
      bytes = java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
    }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
