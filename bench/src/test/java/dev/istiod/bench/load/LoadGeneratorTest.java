package dev.istiod.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The load generator's engine against a small real ADS server on loopback: proxies over SotW and delta follow
 * Envoy's protocol (subscriptions, ACKs, NACKs, reconnects) and each phase detects what it waits for. No timing is
 * asserted; the timeouts only bound the waits.
 */
class LoadGeneratorTest {
  private static final Duration GENEROUS = Duration.ofSeconds(60);
  /** For phases that must NOT converge: how long to wait before concluding they did not. */
  private static final Duration SHORT = Duration.ofSeconds(2);

  private static LoadGenerator.Options options(int port, List<Workload> workloads, int deltaPercent, Duration timeout) {
    return new LoadGenerator.Options("127.0.0.1", port, workloads, deltaPercent, 0, timeout, Duration.ofMillis(200),
        2, EnvoyNode.Options.defaults(), null, null);
  }

  private static List<Workload> sidecarsAndAGateway(int sidecars) {
    List<Workload> list = new ArrayList<>();
    for (int i = 0; i < sidecars; i++) {
      list.add(Workloads.sidecar(i));
    }
    list.add(Workloads.gateway(0));
    return list;
  }

  @Test
  void sotwAndDeltaProxies_converge_ackEveryResponse_subscribeToReferencedNames_andSeeBothEdits() throws Exception {
    try (TestAdsServer server = new TestAdsServer(TestMesh.snapshot("v1", 90, "10.2.0.1"));
        LoadGenerator gen = new LoadGenerator(options(server.port(), sidecarsAndAGateway(4), 50, GENEROUS))) {
      assertThat(gen.proxies()).extracting(SimulatedProxy::protocol).containsExactly(
          SimulatedProxy.Protocol.SOTW, SimulatedProxy.Protocol.DELTA, SimulatedProxy.Protocol.SOTW,
          SimulatedProxy.Protocol.DELTA, SimulatedProxy.Protocol.SOTW);

      PhaseResult initial = gen.initial();
      assertThat(initial.converged()).isEqualTo(5);
      assertThat(initial.invalidResponses()).isZero();
      assertThat(held(gen, XdsType.CLUSTER)).containsOnly(4L);
      assertThat(held(gen, XdsType.ENDPOINT)).containsOnly(2L);
      assertThat(held(gen, XdsType.LISTENER)).containsOnly(3L);
      assertThat(held(gen, XdsType.ROUTE)).containsOnly(3L);
      assertThat(server.sotwSubscriptions(XdsType.ENDPOINT)).hasSize(3)
          .allSatisfy((stream, names) -> assertThat(names).isEqualTo(Set.copyOf(TestMesh.EDS_NAMES)));
      assertThat(server.sotwSubscriptions(XdsType.ROUTE)).hasSize(3)
          .allSatisfy((stream, names) -> assertThat(names).isEqualTo(Set.copyOf(TestMesh.ROUTE_NAMES)));
      assertThat(server.deltaSubscriptions(XdsType.ENDPOINT)).hasSize(2)
          .allSatisfy((stream, names) -> assertThat(names).isEqualTo(Set.copyOf(TestMesh.EDS_NAMES)));
      assertThat(server.deltaSubscriptions(XdsType.ROUTE)).hasSize(2)
          .allSatisfy((stream, names) -> assertThat(names).isEqualTo(Set.copyOf(TestMesh.ROUTE_NAMES)));
      assertEveryResponseAcked(server);

      PhaseResult vs = gen.vsEdit(() -> server.update(TestMesh.snapshot("v2", 50, "10.2.0.1"),
          EnumSet.allOf(XdsType.class)));
      assertThat(vs.converged()).isEqualTo(5);
      assertThat(vs.error()).isNull();
      assertThat(vs.types().get(XdsType.ROUTE).responses()).isPositive();

      PhaseResult eds = gen.edsEdit(() -> server.update(TestMesh.snapshot("v3", 50, "10.2.0.2"),
          EnumSet.of(XdsType.ENDPOINT)), TestMesh.B_EDS);
      assertThat(eds.converged()).isEqualTo(5);
      assertThat(eds.types().get(XdsType.ENDPOINT).responses()).isPositive();
      assertThat(eds.types().get(XdsType.CLUSTER).responses()).isZero();
      assertEveryResponseAcked(server);
      assertThat(gen.context().totals().invalidResponses()).isZero();
    }
  }

  @Test
  void vsEdit_pushOfUnchangedRoutes_isNotAChange_andEdsEdit_waitsForItsCluster() throws Exception {
    try (TestAdsServer server = new TestAdsServer(TestMesh.snapshot("v1", 90, "10.2.0.1"));
        LoadGenerator gen = new LoadGenerator(options(server.port(), sidecarsAndAGateway(2), 50, SHORT))) {
      assertThat(gen.initial().converged()).isEqualTo(3);

      PhaseResult vs = gen.vsEdit(() -> server.update(TestMesh.snapshot("v2", 90, "10.2.0.1"),
          EnumSet.allOf(XdsType.class)));
      assertThat(vs.types().get(XdsType.ROUTE).responses()).isPositive();
      assertThat(vs.converged()).isZero();

      PhaseResult eds = gen.edsEdit(() -> server.update(TestMesh.snapshot("v3", 90, "10.2.0.9"),
          EnumSet.of(XdsType.ENDPOINT)), "outbound|80||nowhere.default.svc.cluster.local");
      assertThat(eds.types().get(XdsType.ENDPOINT).responses()).isPositive();
      assertThat(eds.converged()).isZero();
    }
  }

  @Test
  void unparseableListener_isNackedWithLastAcceptedVersion_andCounted() throws Exception {
    TestAdsServer.Snapshot broken = TestMesh.snapshot("v1", 90, "10.2.0.1")
        .with("v1", XdsType.LISTENER, "broken", TestMesh.brokenListener());
    try (TestAdsServer server = new TestAdsServer(broken);
        LoadGenerator gen = new LoadGenerator(options(server.port(), List.of(Workloads.sidecar(0),
            Workloads.sidecar(1)), 50, SHORT))) {
      PhaseResult initial = gen.initial();
      assertThat(initial.converged()).isZero();
      assertThat(initial.invalidResponses()).isEqualTo(2);
      List<TestAdsServer.Ack> nacks = server.acks.stream().filter(a -> a.error() != null).toList();
      assertThat(nacks).hasSize(2).allSatisfy(n -> {
        assertThat(n.type()).isEqualTo(XdsType.LISTENER);
        assertThat(n.version()).isEmpty(); // nothing accepted before
        assertThat(server.sent).anyMatch(s -> s.stream() == n.stream() && s.nonce().equals(n.nonce()));
      });
      assertThat(gen.context().problems()).anyMatch(p -> p.contains("unparseable LDS resource"));
    }
  }

  @Test
  void firstRequestCarriesTheNode_laterOnesDoNot() throws Exception {
    try (TestAdsServer server = new TestAdsServer(TestMesh.snapshot("v1", 90, "10.2.0.1"));
        LoadGenerator gen = new LoadGenerator(options(server.port(), List.of(Workloads.sidecar(7)), 0, GENEROUS))) {
      assertThat(gen.initial().converged()).isEqualTo(1);
      List<DiscoveryRequest> requests = List.copyOf(server.sotwRequests);
      assertThat(requests.getFirst().getNode().getId())
          .isEqualTo("sidecar~10.1.0.8~load-7-0.default~default.svc.cluster.local");
      assertThat(requests.getFirst().getTypeUrl()).isEqualTo(XdsType.CLUSTER.typeUrl());
      assertThat(requests.subList(1, requests.size())).noneMatch(DiscoveryRequest::hasNode);
      // Envoy's order: CDS, then EDS before the CDS ACK, and LDS only once the clusters are warm.
      List<String> order = requests.stream().map(r -> XdsType.ofTypeUrl(r.getTypeUrl()).orElseThrow().shortName())
          .distinct().toList();
      assertThat(order).containsExactly("CDS", "EDS", "LDS", "RDS");
    }
  }

  @Test
  void proxies_reconnectUntilTheServerComesUp() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    try (LoadGenerator gen = new LoadGenerator(options(port, List.of(Workloads.sidecar(0), Workloads.sidecar(1)), 50,
        GENEROUS))) {
      Thread starter = Thread.ofPlatform().start(() -> {
        try {
          Thread.sleep(1500);
          TestAdsServer server = new TestAdsServer(TestMesh.snapshot("v1", 90, "10.2.0.1"), port);
          servers.add(server);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      PhaseResult initial = gen.initial();
      starter.join();
      assertThat(initial.converged()).isEqualTo(2);
      assertThat(initial.streamFailures()).isPositive();
    } finally {
      for (TestAdsServer s : servers) {
        s.close();
      }
    }
  }

  private final List<TestAdsServer> servers = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** What each proxy holds of {@code type}. */
  private static List<Long> held(LoadGenerator gen, XdsType type) {
    return gen.proxies().stream().map(p -> p.snapshot().heldCounts()[type.ordinal()]).toList();
  }

  /** Every response the server sent was ACKed on its stream with its nonce (and, over SotW, its version). */
  private static void assertEveryResponseAcked(TestAdsServer server) {
    List<TestAdsServer.Ack> acks = List.copyOf(server.acks);
    for (TestAdsServer.Sent s : List.copyOf(server.sent)) {
      assertThat(acks).as("ACK of %s", s).anyMatch(a -> a.stream() == s.stream() && a.type() == s.type()
          && a.nonce().equals(s.nonce()) && a.error() == null && (s.delta() || a.version().equals(s.version())));
    }
  }
}
