package dev.istiod.xds.grpcgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.istiod.xds.server.XdsConnectionSnapshot;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.NameResolverRegistry;
import io.grpc.xds.XdsNameResolverProvider;
import io.grpc.xds.XdsServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A proxyless gRPC <em>server</em> (grpc-java's XdsServerBuilder) asks istiod for its server
 * listener ({@code xds.istio.io/grpc/lds/inbound/<ip>:<port>}), accepts it, starts serving, and a
 * proxyless client reaches it through the service's cluster.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GrpcXdsServerTest {
  private static final String HOST = "echo.default.svc.cluster.local";
  private static final String SERVER_IP = "127.0.0.2"; // its own identity: serviceTargets match by IP
  private static final String SERVER_NODE = "sidecar~" + SERVER_IP + "~echo-xds.default~default.svc.cluster.local";
  private static final String CLIENT_NODE = "sidecar~127.0.0.1~client.default~default.svc.cluster.local";

  private IstiodUnderTest istiod;
  private EchoBackend backend;
  private XdsNameResolverProvider resolver;
  private ManagedChannel channel;

  @AfterEach
  void tearDown() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (resolver != null) {
      NameResolverRegistry.getDefaultRegistry().deregister(resolver);
    }
    if (backend != null) {
      backend.close();
    }
    if (istiod != null) {
      istiod.close();
    }
  }

  @Test
  void xdsServer_getsItsServerListener_servesAndIsReachedThroughTheMesh() throws IOException {
    int port = freePort();
    istiod = IstiodUnderTest.start();
    istiod.apply("""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: echo, namespace: default}
        spec:
          hosts: [echo.default.svc.cluster.local]
          location: MESH_INTERNAL
          resolution: STATIC
          ports:
          - {number: 7070, name: grpc, protocol: GRPC}
          endpoints:
          - {address: %s, ports: {grpc: %d}}
        """.formatted(SERVER_IP, port));

    AtomicBoolean serving = new AtomicBoolean();
    backend = EchoBackend.startXds("xds-server", new InetSocketAddress(SERVER_IP, port),
        bootstrap(SERVER_NODE, istiod.port()), new XdsServerBuilder.XdsServingStatusListener() {
          @Override
          public void onServing() {
            serving.set(true);
          }

          @Override
          public void onNotServing(Throwable t) {
            serving.set(false);
          }
        });
    await().atMost(Duration.ofSeconds(30)).untilTrue(serving);

    resolver = XdsNameResolverProvider.createForTest("xds-grpcgen-server", bootstrap(CLIENT_NODE, istiod.port()));
    NameResolverRegistry.getDefaultRegistry().register(resolver);
    channel = Grpc.newChannelBuilder("xds-grpcgen-server:///" + HOST + ":7070", InsecureChannelCredentials.create())
        .build();
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> EchoBackend.who(channel, Map.of()).equals("xds-server"));

    XdsConnectionSnapshot server = istiod.connections().stream()
        .filter(c -> c.nodeId().equals(SERVER_NODE)).findFirst().orElseThrow();
    assertThat(server.watched()).singleElement().satisfies(w -> {
      // grpc-java names its server listener by the wildcard address and the port it serves.
      assertThat(w.resourceNames()).containsExactly(ListenerNames.INBOUND_PREFIX + "0.0.0.0:" + port);
      assertThat(w.nonceAcked()).isEqualTo(w.nonceSent());
      assertThat(w.lastError()).isEmpty();
    });
    assertThat(istiod.totalRejects()).as("pilot_total_xds_rejects").isZero();
  }

  private static Map<String, ?> bootstrap(String nodeId, int xdsPort) {
    return Map.of(
        "xds_servers", List.of(Map.of(
            "server_uri", "127.0.0.1:" + xdsPort,
            "channel_creds", List.of(Map.of("type", "insecure")),
            "server_features", List.of("xds_v3"))),
        "node", Map.of("id", nodeId, "metadata", Map.of("GENERATOR", "grpc", "NAMESPACE", "default")),
        "server_listener_resource_name_template", ListenerNames.INBOUND_PREFIX + "%s");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName(SERVER_IP))) {
      return s.getLocalPort();
    }
  }
}
