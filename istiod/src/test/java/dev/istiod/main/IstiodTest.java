package dev.istiod.main;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.testing.AdsTestClient;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon wired end to end in one JVM: a config directory in, xDS and debug pages out. */
class IstiodTest {
  private static final Path DEMO = Path.of("../examples/demo/config");
  private final HttpClient http = HttpClient.newHttpClient();

  @TempDir Path dir;
  private Istiod istiod;
  private AdsTestClient client;

  @BeforeEach
  void start() throws Exception {
    Files.createDirectories(dir.resolve("config"));
    for (String f : List.of("reviews.yaml", "sidecar.yaml")) {
      Files.copy(DEMO.resolve(f), dir.resolve("config").resolve(f));
    }
    InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
    Features features = Features.fromEnvironment(Map.of("PILOT_DEBOUNCE_AFTER", "10ms",
        "ISTIOD_LOCAL_CA_DIR", dir.resolve("ca").toString()));
    istiod = Istiod.start(new IstiodOptions(any, any, "1.2", List.of(), any, any, any, dir.resolve("config"), dir.resolve("no-mesh-file"), "cluster.local",
        null, "Kubernetes", null, false, features));
    assertThat(istiod.awaitReady(Duration.ofSeconds(30))).isTrue();
    client = AdsTestClient.connect("127.0.0.1", istiod.grpcPort());
  }

  @AfterEach
  void stop() {
    client.close();
    istiod.close();
  }

  @Test
  void ready_afterStart_is200() throws Exception {
    assertThat(get(istiod.httpAddress(), "/ready").statusCode()).isEqualTo(200);
  }

  @Test
  void sidecar_getsClustersForTheDemoService_andShowsInSyncz() throws Exception {
    AdsTestClient.Sotw stream = client.sotw(AdsTestClient.sidecarNode("127.0.0.1", "client-1", "default"));
    DiscoveryResponse cds = stream.requestAndAck(TypeUrls.CLUSTER);
    List<String> names = cds.getResourcesList().stream().map(a -> unpack(a).getName()).toList();
    assertThat(names).contains("outbound|9080|v1|reviews.default.svc.cluster.local",
        "outbound|9080|v2|reviews.default.svc.cluster.local");

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(get(istiod.httpAddress(), "/debug/syncz").body())
            .contains("\"proxy\" : \"client-1.default\"").contains("\"cluster_acked\" : \"" + cds.getNonce() + "\""));
    assertThat(get(istiod.httpAddress(), "/debug/config_dump?proxyID=client-1.default").body())
        .contains("outbound|9080|v2|reviews.default.svc.cluster.local");
    assertThat(get(istiod.httpAddress(), "/debug/config_dump?proxyID=nobody.default").statusCode()).isEqualTo(404);
    assertThat(get(istiod.httpAddress(), "/debug/config_dump").statusCode()).isEqualTo(400);
  }

  @Test
  void metrics_useUpstreamNames_withoutTotalSuffix() throws Exception {
    AdsTestClient.Sotw stream = client.sotw(AdsTestClient.sidecarNode("127.0.0.1", "client-1", "default"));
    stream.requestAndAck(TypeUrls.CLUSTER);
    String metrics = get(istiod.monitoringAddress(), "/metrics").body();
    assertThat(metrics).contains("# TYPE pilot_xds_pushes counter", "pilot_xds_pushes{type=\"cds\"}",
        "pilot_total_xds_rejects", "istiod_uptime_seconds");
    assertThat(metrics).doesNotContain("pilot_xds_pushes_total", "pilot_total_xds_rejects_total");
  }

  @Test
  void invalidFile_isReportedByName_andLastGoodConfigKeepsServing() throws Exception {
    AdsTestClient.Sotw stream = client.sotw(AdsTestClient.sidecarNode("127.0.0.1", "client-1", "default"));
    stream.requestAndAck(TypeUrls.CLUSTER);
    Path config = dir.resolve("config");
    String reviews = Files.readString(config.resolve("reviews.yaml"));
    // Same VirtualService, now with an invalid regex: it must be refused and the old one kept.
    Files.writeString(config.resolve("reviews.yaml"), reviews.replace("exact: jason", "regex: \"ja(son\""));
    Files.writeString(config.resolve("garbage.yaml"), "kind: [unclosed\n");

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(get(istiod.httpAddress(), "/debug/config_errors").body())
        .contains("reviews.yaml").contains("VirtualService default/reviews").contains("garbage.yaml"));
    String configz = get(istiod.httpAddress(), "/debug/configz").body();
    assertThat(configz).contains("\"exact\" : \"jason\"").doesNotContain("ja(son");
  }

  @Test
  void secureXds_requiresTls_andAnonymousTlsCallerIsRefused() throws Exception {
    // 15012 speaks TLS with ALPN h2 and a serving certificate from istiod's own CA...
    javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
    java.security.KeyStore roots = java.security.KeyStore.getInstance("PKCS12");
    roots.load(null, null);
    int i = 0;
    for (java.security.cert.Certificate c : java.security.cert.CertificateFactory.getInstance("X.509")
        .generateCertificates(new java.io.ByteArrayInputStream(istiod.rootCertsPem().getBytes()))) {
      roots.setCertificateEntry("root" + i++, c);
    }
    tmf.init(roots);
    io.grpc.ManagedChannel channel = io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", istiod.secureGrpcPort())
        .overrideAuthority("istiod.istio-system.svc")
        .sslContext(io.grpc.netty.GrpcSslContexts.forClient().trustManager(tmf).build())
        .build();
    try {
      AdsTestClient secure = AdsTestClient.forChannel(channel);
      // ...and a caller with neither a client certificate nor a token cannot get config there.
      AdsTestClient.Sotw stream = secure.sotw(AdsTestClient.sidecarNode("127.0.0.1", "client-1", "default"));
      stream.send(io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest.newBuilder()
          .setNode(AdsTestClient.sidecarNode("127.0.0.1", "client-1", "default")).setTypeUrl(TypeUrls.CLUSTER).build());
      assertThat(stream.expectClosed().getCode()).isEqualTo(io.grpc.Status.Code.UNAUTHENTICATED);
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void validationWebhook_onHttpsPort_deniesAnInvalidVirtualService() throws Exception {
    javax.net.ssl.SSLContext trustAll = javax.net.ssl.SSLContext.getInstance("TLS");
    trustAll.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
      @Override
      public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) {}

      @Override
      public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) {}

      @Override
      public java.security.cert.X509Certificate[] getAcceptedIssuers() {
        return new java.security.cert.X509Certificate[0];
      }
    }}, null);
    String review = """
        {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1",
         "kind":{"group":"networking.istio.io","version":"v1","kind":"VirtualService"},
         "resource":{"group":"networking.istio.io","version":"v1","resource":"virtualservices"},
         "namespace":"default","operation":"CREATE",
         "object":{"apiVersion":"networking.istio.io/v1","kind":"VirtualService",
           "metadata":{"name":"bad","namespace":"default"},
           "spec":{"hosts":["reviews"],"http":[{"match":[{"uri":{"regex":"a(b"}}],
             "route":[{"destination":{"host":"reviews"}}]}]}}}}
        """;
    // The serving certificate names istiod's Service DNS names, not 127.0.0.1 (as upstream's).
    var connection = (javax.net.ssl.HttpsURLConnection)
        URI.create("https://127.0.0.1:" + istiod.httpsPort() + "/validate").toURL().openConnection();
    connection.setSSLSocketFactory(trustAll.getSocketFactory());
    connection.setHostnameVerifier((host, session) -> true);
    connection.setRequestMethod("POST");
    connection.setRequestProperty("Content-Type", "application/json");
    connection.setDoOutput(true);
    connection.getOutputStream().write(review.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(connection.getResponseCode()).isEqualTo(200);
    String body = new String(connection.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(body.replace(" ", "")).contains("\"allowed\":false").contains("configurationisinvalid");
  }

  private HttpResponse<String> get(InetSocketAddress address, String path) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + address.getPort() + path);
    return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static Cluster unpack(com.google.protobuf.Any any) {
    try {
      return any.unpack(Cluster.class);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
