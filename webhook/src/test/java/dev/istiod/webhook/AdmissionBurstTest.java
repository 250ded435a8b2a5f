package dev.istiod.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.istiod.configstore.KindRegistry;
import dev.istiod.model.MeshConfigs;
import dev.istiod.webhook.inject.InjectionSettings;
import dev.istiod.webhook.inject.InjectionWebhook;
import dev.istiod.webhook.inject.NativeSidecars;
import dev.istiod.webhook.testing.TestCerts;
import dev.istiod.webhook.validation.ValidationWebhook;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A burst of 1,000 concurrent admission requests against the real validation and injection webhooks behind the
 * HTTPS server, mixed as an API server under load would send them (valid and invalid config, pods to inject) plus
 * malformed bodies: every request gets its own right answer, and the server keeps serving afterwards.
 */
class AdmissionBurstTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TestCerts CERTS = TestCerts.selfSigned();
  private static final int BURST = 1000;

  private AdmissionServer server;
  private HttpClient client;

  @BeforeEach
  void start() throws Exception {
    PrometheusRegistry metrics = new PrometheusRegistry();
    server = AdmissionServer.start(new AdmissionServer.Options(new InetSocketAddress("127.0.0.1", 0),
        CERTS.keyManager(),
        Optional.of(new ValidationWebhook(KindRegistry.istio(), metrics)),
        Optional.of(new InjectionWebhook(InjectionSettings::defaults, MeshConfigs::defaults,
            NativeSidecars.fixed(false), "", "", metrics)),
        () -> true));
    client = HttpClient.newBuilder().sslContext(CERTS.clientContext()).version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(120)).build();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  /** What one request of the burst is, and so what its answer must be. */
  private enum Kind {
    VALID_CONFIG, INVALID_CONFIG, POD, MALFORMED
  }

  @Test
  void aBurstOfAThousandMixedRequests_getsEachItsOwnAnswer_andTheServerKeepsServing() throws Exception {
    List<Kind> kinds = new ArrayList<>();
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < BURST; i++) {
      Kind kind = Kind.values()[i % Kind.values().length];
      kinds.add(kind);
      calls.add(client.sendAsync(request(kind, i), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)));
    }
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);

    for (int i = 0; i < BURST; i++) {
      HttpResponse<String> response = calls.get(i).join();
      String what = kinds.get(i) + " #" + i;
      if (kinds.get(i) == Kind.MALFORMED) {
        assertThat(response.statusCode()).as(what).isEqualTo(400);
        assertThat(response.body()).as(what).startsWith("could not decode body");
        continue;
      }
      assertThat(response.statusCode()).as(what).isEqualTo(200);
      JsonNode answer = JSON.readTree(response.body()).path("response");
      assertThat(answer.path("uid").asText()).as(what + " answers its own request").isEqualTo("uid-" + i);
      switch (kinds.get(i)) {
        case VALID_CONFIG -> assertThat(answer.path("allowed").asBoolean()).as(what).isTrue();
        case INVALID_CONFIG -> {
          assertThat(answer.path("allowed").asBoolean()).as(what).isFalse();
          assertThat(answer.path("status").path("message").asText()).as(what)
              .startsWith("configuration is invalid: ");
        }
        case POD -> {
          assertThat(answer.path("allowed").asBoolean()).as(what).isTrue();
          String patch = new String(Base64.getDecoder().decode(answer.path("patch").asText()), StandardCharsets.UTF_8);
          assertThat(patch).as(what).contains("istio-proxy").contains("pod-" + i);
        }
        default -> throw new AssertionError(what);
      }
    }
    HttpResponse<String> after = client.send(request(Kind.INVALID_CONFIG, BURST), HttpResponse.BodyHandlers.ofString());
    assertThat(JSON.readTree(after.body()).path("response").path("allowed").asBoolean()).as("after the burst")
        .isFalse();
  }

  private HttpRequest request(Kind kind, int i) {
    String path = kind == Kind.POD ? "/inject" : "/validate";
    String body = switch (kind) {
      case VALID_CONFIG -> review(i, virtualService(i, "^/api/.*"), "networking.istio.io", "VirtualService");
      case INVALID_CONFIG -> review(i, virtualService(i, "([unclosed"), "networking.istio.io", "VirtualService");
      case POD -> review(i, """
          {"apiVersion":"v1","kind":"Pod","metadata":{"name":"pod-%d","namespace":"default",
           "labels":{"app":"reviews","version":"v1"}},
           "spec":{"containers":[{"name":"app","image":"app","ports":[{"containerPort":9080}]}]}}
          """.formatted(i), "", "Pod");
      case MALFORMED -> "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":";
    };
    return HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + path))
        .header("Content-Type", "application/json").timeout(Duration.ofSeconds(120))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  private static String virtualService(int i, String regex) {
    return """
        {"apiVersion":"networking.istio.io/v1","kind":"VirtualService",
         "metadata":{"name":"vs-%d","namespace":"default"},
         "spec":{"hosts":["reviews"],"http":[{"match":[{"uri":{"regex":"%s"}}],
           "route":[{"destination":{"host":"reviews"}}]}]}}
        """.formatted(i, regex);
  }

  private static String review(int i, String object, String group, String kind) {
    String resource = kind.toLowerCase() + "s";
    return """
        {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"uid-%d",
         "kind":{"group":"%s","version":"v1","kind":"%s"},
         "resource":{"group":"%s","version":"v1","resource":"%s"},
         "name":"%s","namespace":"default","operation":"CREATE","object":%s}}
        """.formatted(i, group, kind, group, resource, (kind.equals("Pod") ? "pod-" : "vs-") + i, object);
  }
}
