package dev.istiod.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.istiod.webhook.testing.TestCerts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTPS admission server: envelopes, routing, bad requests, readiness, a burst of requests. */
class AdmissionServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TestCerts CERTS = TestCerts.selfSigned();

  private final AtomicBoolean ready = new AtomicBoolean(true);
  private final AtomicInteger httpErrors = new AtomicInteger();
  private final List<String> paths = java.util.Collections.synchronizedList(new ArrayList<>());
  private AdmissionServer server;
  private HttpClient client;

  @BeforeEach
  void start() throws IOException {
    AdmissionHandler validate = new AdmissionHandler() {
      @Override
      public AdmissionResponse admit(AdmissionRequest request, String path) {
        paths.add(path);
        if (request.name().equals("bad")) {
          return AdmissionResponse.deny("configuration is invalid: bad things");
        }
        if (request.name().equals("boom")) {
          throw new IllegalStateException("handler bug");
        }
        return AdmissionResponse.allow(List.of("looks odd"));
      }

      @Override
      public void onHttpError(int status) {
        httpErrors.incrementAndGet();
      }
    };
    AdmissionHandler inject = (request, path) -> {
      paths.add(path);
      return AdmissionResponse.patch(JsonNodeFactory.instance.arrayNode().add(JsonNodeFactory.instance.objectNode()
          .put("op", "add").put("path", "/metadata/labels").set("value", JsonNodeFactory.instance.objectNode())));
    };
    server = AdmissionServer.start(new AdmissionServer.Options(new InetSocketAddress("127.0.0.1", 0),
        CERTS.keyManager(), Optional.of(validate), Optional.of(inject), ready::get));
    client = HttpClient.newBuilder().sslContext(CERTS.clientContext()).version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(120)).build();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void v1Review_isAnsweredInV1_withUidAllowedAndWarnings() throws Exception {
    HttpResponse<String> r = post("/validate", review("admission.k8s.io/v1", "ok"));

    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.path("apiVersion").asText()).isEqualTo("admission.k8s.io/v1");
    assertThat(body.path("kind").asText()).isEqualTo("AdmissionReview");
    assertThat(body.path("response").path("uid").asText()).isEqualTo("uid-ok");
    assertThat(body.path("response").path("allowed").asBoolean()).isTrue();
    assertThat(body.path("response").path("warnings").get(0).asText()).isEqualTo("looks odd");
  }

  @Test
  void v1beta1Review_isAnsweredInV1beta1_withTheDenialMessage() throws Exception {
    HttpResponse<String> r = post("/validate/extra", review("admission.k8s.io/v1beta1", "bad"));

    JsonNode body = JSON.readTree(r.body());
    assertThat(body.path("apiVersion").asText()).isEqualTo("admission.k8s.io/v1beta1");
    assertThat(body.path("response").path("allowed").asBoolean()).isFalse();
    assertThat(body.path("response").path("status").path("message").asText())
        .isEqualTo("configuration is invalid: bad things");
    assertThat(paths).containsExactly("/validate/extra");
  }

  @Test
  void injection_answersWithABase64JsonPatch_andSeesItsPath() throws Exception {
    HttpResponse<String> r = post("/inject/cluster/c1", review("admission.k8s.io/v1", "pod"));

    JsonNode response = JSON.readTree(r.body()).path("response");
    assertThat(response.path("patchType").asText()).isEqualTo("JSONPatch");
    JsonNode patch = JSON.readTree(Base64.getDecoder().decode(response.path("patch").asText()));
    assertThat(patch.get(0).path("path").asText()).isEqualTo("/metadata/labels");
    assertThat(paths).containsExactly("/inject/cluster/c1");
  }

  @Test
  void malformedBodies_get400WithAReason_andTheServerKeepsServing() throws Exception {
    assertThat(post("/validate", "{not json")).satisfies(r -> {
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(r.body()).startsWith("could not decode body: not JSON");
    });
    assertThat(post("/validate", "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}"))
        .satisfies(r -> {
          assertThat(r.statusCode()).isEqualTo(400);
          assertThat(r.body()).contains("AdmissionReview has no request");
        });
    assertThat(post("/validate", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}").statusCode()).isEqualTo(400);
    assertThat(post("/validate", "[]").statusCode()).isEqualTo(400);
    assertThat(post("/validate", "").body()).startsWith("no body found");
    assertThat(send(HttpRequest.newBuilder(uri("/validate")).header("Content-Type", "text/plain")
        .POST(HttpRequest.BodyPublishers.ofString(review("admission.k8s.io/v1", "ok")))).statusCode()).isEqualTo(415);
    assertThat(httpErrors).hasValue(6);

    assertThat(post("/validate", review("admission.k8s.io/v1", "ok")).statusCode()).isEqualTo(200);
  }

  @Test
  void aFailingHandler_becomesADenial_notACrash() throws Exception {
    JsonNode response = JSON.readTree(post("/validate", review("admission.k8s.io/v1", "boom")).body()).path("response");

    assertThat(response.path("allowed").asBoolean()).isFalse();
    assertThat(response.path("status").path("message").asText()).contains("handler bug");
  }

  @Test
  void oversizedBody_isRefused() throws Exception {
    String big = "{\"pad\":\"" + "x".repeat(AdmissionServer.MAX_BODY_BYTES) + "\"}";

    HttpResponse<String> r = post("/validate", big);

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("too large");
  }

  @Test
  void otherPaths_are404_andReadyFollowsIstiod() throws Exception {
    assertThat(post("/validatefoo", review("admission.k8s.io/v1", "ok")).statusCode()).isEqualTo(404);
    assertThat(post("/", review("admission.k8s.io/v1", "ok")).statusCode()).isEqualTo(404);
    assertThat(get("/ready").statusCode()).isEqualTo(200);

    ready.set(false);

    assertThat(get("/ready").statusCode()).isEqualTo(503);
  }

  @Test
  void aBurstOfAThousandConcurrentReviews_isAllAnswered() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      calls.add(client.sendAsync(postRequest("/validate", review("admission.k8s.io/v1", "ok")),
          HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)));
    }
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(5, java.util.concurrent.TimeUnit.MINUTES);

    assertThat(calls).allSatisfy(c -> assertThat(c.join().statusCode()).isEqualTo(200));
    assertThat(get("/ready").statusCode()).isEqualTo(200);
  }

  private static String review(String apiVersion, String name) {
    return """
        {"apiVersion":"%s","kind":"AdmissionReview","request":{"uid":"uid-%s",
         "kind":{"group":"networking.istio.io","version":"v1","kind":"Gateway"},
         "resource":{"group":"networking.istio.io","version":"v1","resource":"gateways"},
         "name":"%s","namespace":"default","operation":"CREATE",
         "object":{"apiVersion":"networking.istio.io/v1","kind":"Gateway","metadata":{"name":"%s"}}}}
        """.formatted(apiVersion, name, name, name);
  }

  private URI uri(String path) {
    return URI.create("https://127.0.0.1:" + server.port() + path);
  }

  private HttpRequest postRequest(String path, String body) {
    return HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(120)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    return client.send(postRequest(path, body), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return client.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
