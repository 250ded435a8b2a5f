package dev.istiod.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The local test cluster tooling works: a real kube-apiserver (with etcd and kube-controller-manager) on
 * loopback accepts what kubectl applies, mints service-account tokens for Istio's CA audience, derives
 * EndpointSlices from Pods on network-namespace test hosts, and survives a restart of the API server.
 */
@Tag("e2e")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class KubeClusterE2ETest {
  @RegisterExtension
  static final KubeCluster cluster = KubeCluster.perClass();

  private final ObjectMapper json = new ObjectMapper();

  @Test
  void apiServerIsReady_andServesItsVersion() {
    assertThat(cluster.kubectl("get", "--raw", "/readyz").stdout()).isEqualTo("ok");
    JsonNode version = parse(cluster.kubectl("version", "-o", "json").stdout()).path("serverVersion");
    assertThat(version.path("gitVersion").asText()).as("server gitVersion (set by install.sh's ldflags)")
        .matches("v1\\.\\d+\\.\\d+");
    assertThat(version.path("major").asText()).isEqualTo("1");
  }

  @Test
  void kubectlApply_createsNamespaceAndService() {
    cluster.apply("""
        apiVersion: v1
        kind: Namespace
        metadata:
          name: apply-test
          labels:
            istio-injection: enabled
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: reviews
          namespace: apply-test
        spec:
          selector:
            app: reviews
          ports:
          - name: http
            port: 9080
            targetPort: 9080
        """);

    JsonNode service = parse(cluster.kubectl("get", "service", "reviews", "-n", "apply-test", "-o", "json").stdout());
    assertThat(service.path("spec").path("clusterIP").asText()).as("allocated ClusterIP").startsWith("10.96.");
    assertThat(service.path("spec").path("ports").get(0).path("port").asInt()).isEqualTo(9080);
    assertThat(cluster.kubectl("get", "namespace", "apply-test", "-o", "jsonpath={.metadata.labels.istio-injection}")
        .stdout()).isEqualTo("enabled");
    // kube-controller-manager's service-account controller gives every namespace its `default` account.
    await("default ServiceAccount in apply-test").atMost(Duration.ofSeconds(60))
        .until(() -> cluster.tryKubectl("get", "serviceaccount", "default", "-n", "apply-test").ok());
  }

  @Test
  void createToken_forIstioCaAudience_passesTokenReview() {
    cluster.kubectl("create", "namespace", "token-test");
    cluster.kubectl("create", "serviceaccount", "sleep", "-n", "token-test");

    String token = cluster.kubectl("create", "token", "sleep", "-n", "token-test", "--audience", "istio-ca",
        "--duration", "1h").stdout().strip();

    assertThat(token.split("\\.")).as("a JWT").hasSize(3);
    JsonNode claims = parse(new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8));
    assertThat(claims.path("aud").toString()).contains("istio-ca");
    assertThat(claims.path("sub").asText()).isEqualTo("system:serviceaccount:token-test:sleep");
    // What istiod's CA does with it: a TokenReview for the istio-ca audience.
    String review = cluster.kubectlWithInput("""
        {"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview",
         "spec":{"token":"%s","audiences":["istio-ca"]}}""".formatted(token),
        "create", "-f", "-", "-o", "json").orFail().stdout();
    JsonNode status = parse(review).path("status");
    assertThat(status.path("authenticated").asBoolean()).as("TokenReview status: %s", status).isTrue();
    assertThat(status.path("user").path("username").asText()).isEqualTo("system:serviceaccount:token-test:sleep");
  }

  @Test
  void podOnTestHost_becomesEndpointSliceAddress_andServesTraffic() throws Exception {
    Path logs = cluster.dir().resolveSibling("podOnTestHost");
    try (TestHost host = TestHost.create()) {
      EchoServer echo = host.serve("ratings-v1", host.address(), 9080, logs);
      assertThat(get("http://" + host.address() + ":9080/hello").headers().firstValue(EchoServer.SERVED_BY))
          .as("the echo server on the test host answers this machine").hasValue("ratings-v1");
      assertThat(echo.requests()).extracting(EchoServer.Request::path).containsExactly("/hello");

      cluster.apply("""
          apiVersion: v1
          kind: Namespace
          metadata:
            name: pods-test
          ---
          apiVersion: v1
          kind: Node
          metadata:
            name: %1$s
            labels:
              topology.kubernetes.io/region: test-region
              topology.kubernetes.io/zone: test-zone
          ---
          apiVersion: v1
          kind: Service
          metadata:
            name: ratings
            namespace: pods-test
          spec:
            selector:
              app: ratings
            ports:
            - name: http
              port: 9080
          ---
          apiVersion: v1
          kind: Pod
          metadata:
            name: ratings-v1
            namespace: pods-test
            labels:
              app: ratings
          spec:
            nodeName: %1$s
            containers:
            - name: ratings
              image: ratings:never-pulled
              ports:
              - containerPort: 9080
          """.formatted(host.name()));
      // No kubelet: the test reports the Pod running on the test host's address, as a kubelet would.
      cluster.kubectl("patch", "pod", "ratings-v1", "-n", "pods-test", "--subresource=status", "--type=merge", "-p", """
          {"status":{"phase":"Running","podIP":"%1$s","podIPs":[{"ip":"%1$s"}],
           "conditions":[{"type":"Ready","status":"True"}]}}""".formatted(host.address()));

      await("the EndpointSlice controller lists the Pod's IP").atMost(Duration.ofSeconds(60)).untilAsserted(() ->
          assertThat(cluster.kubectl("get", "endpointslices", "-n", "pods-test",
              "-l", "kubernetes.io/service-name=ratings", "-o", "jsonpath={.items[*].endpoints[*].addresses[*]}")
              .stdout()).isEqualTo(host.address()));
    }
  }

  @Test
  void endpointSlice_rejectsLoopbackAddresses() {
    cluster.kubectl("create", "namespace", "loopback-test");
    Command.Result result = cluster.kubectlWithInput("""
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: loopback
          namespace: loopback-test
          labels:
            kubernetes.io/service-name: loopback
        addressType: IPv4
        endpoints:
        - addresses: ["127.0.0.2"]
        """, "apply", "-f", "-");
    assertThat(result.ok()).as("apply of a loopback endpoint: %s", result.describe()).isFalse();
    assertThat(result.stderr()).contains("loopback");
  }

  @Test
  void apiServerRestart_keepsState() {
    cluster.kubectl("create", "namespace", "restart-test");
    cluster.kubectl("create", "configmap", "kept", "-n", "restart-test", "--from-literal=key=value");

    cluster.stop("kube-apiserver");
    assertThat(cluster.tryKubectl("--request-timeout=2s", "get", "namespaces").ok()).as("API server down").isFalse();
    cluster.restart();

    assertThat(cluster.kubectl("get", "configmap", "kept", "-n", "restart-test", "-o", "jsonpath={.data.key}")
        .stdout()).isEqualTo("value");
  }

  private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode parse(String text) {
    try {
      return json.readTree(text);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }
}
