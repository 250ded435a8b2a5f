package dev.istiod.xds.grpcgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.server.XdsConnectionSnapshot;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.NameResolverRegistry;
import io.grpc.xds.XdsNameResolverProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * grpc-java's own xDS client (io.grpc:grpc-xds), running proxyless in this JVM, resolves
 * {@code xds:///echo.default.svc.cluster.local:7070} through istiod's ADS server on a real port,
 * and its RPCs go where the VirtualService says: {@code x-user: jason} to subset v2, everything
 * else to v1; a VirtualService edit moves them with no restart, and the client never NACKs.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GrpcXdsClientTest {
  private static final String HOST = "echo.default.svc.cluster.local";
  private static final int PORT = 7070;
  private static final String NODE_ID = "sidecar~127.0.0.1~client.default~default.svc.cluster.local";
  private static final AtomicInteger SCHEMES = new AtomicInteger();
  private static final Map<String, String> JASON = Map.of("x-user", "jason");

  private IstiodUnderTest istiod;
  private EchoBackend v1;
  private EchoBackend v2;
  private ManagedChannel channel;
  private XdsNameResolverProvider resolver;

  @BeforeEach
  void setUp() throws Exception {
    v1 = EchoBackend.start("v1");
    v2 = EchoBackend.start("v2");
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
          - {address: 127.0.0.1, ports: {grpc: %d}, labels: {version: v1}}
          - {address: 127.0.0.1, ports: {grpc: %d}, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: echo, namespace: default}
        spec:
          host: echo
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: echo, namespace: default}
        spec:
          hosts: [echo]
          http:
          - name: jason
            match:
            - headers: {x-user: {exact: jason}}
            route:
            - destination: {host: echo, subset: v2}
          - name: rest
            route:
            - destination: {host: echo, subset: v1}
        """.formatted(v1.port(), v2.port()));

    // A scheme of our own, so this test's bootstrap never meets the JVM-wide default one.
    String scheme = "xds-grpcgen-" + SCHEMES.incrementAndGet();
    resolver = XdsNameResolverProvider.createForTest(scheme, bootstrap(istiod.port()));
    NameResolverRegistry.getDefaultRegistry().register(resolver);
    channel = Grpc.newChannelBuilder(scheme + ":///" + HOST + ":" + PORT, InsecureChannelCredentials.create()).build();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (resolver != null) {
      NameResolverRegistry.getDefaultRegistry().deregister(resolver);
    }
    for (AutoCloseable c : List.of(istiod, v1, v2)) {
      if (c != null) {
        c.close();
      }
    }
  }

  @Test
  void rpcs_followTheVirtualServicesHeaderMatchAndSubsets_andMoveWhenItChanges() {
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> EchoBackend.who(channel, Map.of()).equals("v1"));

    assertThat(calls(Map.of(), 10)).containsOnly("v1");
    assertThat(calls(JASON, 10)).containsOnly("v2");

    istiod.apply("""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: echo, namespace: default}
        spec:
          hosts: [echo]
          http:
          - name: all
            route:
            - destination: {host: echo, subset: v2}
        """);

    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> EchoBackend.who(channel, Map.of()).equals("v2"));
    assertThat(calls(Map.of(), 10)).containsOnly("v2");
    assertThat(calls(JASON, 10)).containsOnly("v2");

    assertNoNacksAndEveryTypeAcked();
  }

  /** The grpc client ACKed the latest LDS, RDS, CDS and EDS it was sent, and never NACKed anything. */
  private void assertNoNacksAndEveryTypeAcked() {
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      XdsConnectionSnapshot client = istiod.connections().stream()
          .filter(c -> c.nodeId().equals(NODE_ID)).findFirst().orElseThrow();
      assertThat(client.watched()).extracting(XdsConnectionSnapshot.Watch::typeUrl)
          .contains(TypeUrls.LISTENER, TypeUrls.ROUTE, TypeUrls.CLUSTER, TypeUrls.ENDPOINT);
      assertThat(client.watched()).allSatisfy(w -> {
        assertThat(w.lastError()).as("last NACK of %s", w.typeUrl()).isEmpty();
        assertThat(w.nonceAcked()).as("ACK of %s", w.typeUrl()).isEqualTo(w.nonceSent());
      });
    });
    assertThat(istiod.totalRejects()).as("pilot_total_xds_rejects").isZero();
  }

  private List<String> calls(Map<String, String> headers, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(EchoBackend.who(channel, headers));
    }
    return out;
  }

  /** Istio's own grpc bootstrap shape (grpc-agent): insecure ADS to istiod, GENERATOR=grpc. */
  private static Map<String, ?> bootstrap(int xdsPort) {
    return Map.of(
        "xds_servers", List.of(Map.of(
            "server_uri", "127.0.0.1:" + xdsPort,
            "channel_creds", List.of(Map.of("type", "insecure")),
            "server_features", List.of("xds_v3"))),
        "node", Map.of(
            "id", NODE_ID,
            "metadata", Map.of("GENERATOR", "grpc", "NAMESPACE", "default")));
  }
}
