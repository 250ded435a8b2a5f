package dev.istiod.xds.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.istiod.model.ConfigKey;
import dev.istiod.model.Kind;
import dev.istiod.model.PushRequest;
import dev.istiod.model.TriggerReason;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.testing.AdsTestClient;
import dev.istiod.xds.testing.FakeDiscoveryServer;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The server around the protocol: readiness, push context lifecycle, slow proxies. */
class DiscoveryServerTest {

  @Test
  void streamsBeforeReady_areRefusedWithUnavailable() {
    try (FakeDiscoveryServer fake = FakeDiscoveryServer.start(FakeDiscoveryServer.emptyEnvironment(),
        List.of(StubGenerator.clusters("a")), FakeDiscoveryServer.TEST_OPTIONS, false)) {
      AdsTestClient client = fake.client();
      AdsTestClient.Sotw sotw = client.sotw(AdsTestClient.sidecarNode("10.0.0.1", "a", "ns"));
      sotw.request(TypeUrls.CLUSTER);
      AdsTestClient.Delta delta = client.delta(AdsTestClient.sidecarNode("10.0.0.1", "a", "ns"));
      delta.subscribe(TypeUrls.CLUSTER);

      for (Status s : List.of(sotw.expectClosed(), delta.expectClosed())) {
        assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(s.getDescription()).isEqualTo("server is not ready to serve discovery information");
      }

      fake.server().markReady();
      AdsTestClient.Sotw again = client.sotw(AdsTestClient.sidecarNode("10.0.0.1", "a", "ns"));
      again.request(TypeUrls.CLUSTER);
      assertThat(again.expect(TypeUrls.CLUSTER).getResourcesCount()).isEqualTo(1);
    }
  }

  @Test
  void fullChange_rebuildsThePushContext_withANewVersion() {
    StubGenerator clusters = StubGenerator.clusters("a");
    try (FakeDiscoveryServer fake = FakeDiscoveryServer.start(FakeDiscoveryServer.emptyEnvironment(),
        List.of(clusters))) {
      AdsTestClient.Sotw ads = fake.client().sotw(AdsTestClient.sidecarNode("10.0.0.1", "a", "ns"));
      DiscoveryResponse first = ads.requestAndAck(TypeUrls.CLUSTER);
      var before = fake.server().pushContext();
      clusters.put("b"); // (a push of what the proxy already holds is not sent)

      fake.configUpdate(PushRequest.full(TriggerReason.CONFIG,
          Set.of(new ConfigKey(Kind.VIRTUAL_SERVICE, "ns", "vs"))));

      DiscoveryResponse pushed = ads.expect(TypeUrls.CLUSTER);
      assertThat(fake.server().pushContext()).isNotSameAs(before);
      assertThat(pushed.getVersionInfo()).isEqualTo(fake.server().pushContext().version())
          .isNotEqualTo(first.getVersionInfo());
      assertThat(fake.server().pushStats().fullPushes()).isEqualTo(1);
      assertThat(Metrics.value(fake.registry(), "pilot_push_triggers", "type", "config")).isEqualTo(1);
      assertThat(Metrics.value(fake.registry(), "pilot_pushcontext_init_seconds")).isEqualTo(2);
    }
  }

  @Test
  void proxyUpdate_reinitializesAndPushesOnlyTheSelectedProxy_fromTheSamePushContext() {
    Map<String, String> labelsOfA = new java.util.concurrent.ConcurrentHashMap<>(Map.of("version", "v1"));
    try (FakeDiscoveryServer fake = FakeDiscoveryServer.start(FakeDiscoveryServer.emptyEnvironment(),
        List.of(StubGenerator.clusters("a")), FakeDiscoveryServer.TEST_OPTIONS, false)) {
      fake.server().proxyInitializer(p -> p.ipAddresses().contains("10.0.0.1") ? p.withLabels(Map.copyOf(labelsOfA)) : p);
      fake.server().markReady();
      AdsTestClient.Sotw a = fake.client().sotw(AdsTestClient.sidecarNode("10.0.0.1", "a", "ns"));
      AdsTestClient.Sotw b = fake.client().sotw(AdsTestClient.sidecarNode("10.0.0.2", "b", "ns"));
      DiscoveryResponse firstOfA = a.requestAndAck(TypeUrls.CLUSTER);
      b.requestAndAck(TypeUrls.CLUSTER);
      await().until(() -> fake.server().connections().size() == 2);
      var context = fake.server().pushContext();

      labelsOfA.put("version", "v2"); // the Pod's labels changed
      int queued = fake.server().proxyUpdate(p -> p.ipAddresses().contains("10.0.0.1"));

      assertThat(queued).isEqualTo(1);
      DiscoveryResponse pushed = a.expect(TypeUrls.CLUSTER);
      assertThat(pushed.getNonce()).isNotEqualTo(firstOfA.getNonce());
      assertThat(pushed.getVersionInfo()).isEqualTo(context.version());
      b.expectNoResponse(Duration.ofMillis(300));
      assertThat(fake.server().pushContext()).isSameAs(context);
      assertThat(fake.server().pushStats().fullPushes()).isZero();
      assertThat(fake.server().connections().stream().filter(c -> c.proxy().id().equals("a.ns")).findFirst()
          .orElseThrow().proxy().labels()).containsEntry("version", "v2");
    }
  }

  @Test
  void proxyUpdate_beforeReady_pushesNothing() {
    try (FakeDiscoveryServer fake = FakeDiscoveryServer.start(FakeDiscoveryServer.emptyEnvironment(),
        List.of(StubGenerator.clusters("a")), FakeDiscoveryServer.TEST_OPTIONS, false)) {
      assertThat(fake.server().proxyUpdate(p -> true)).isZero();
    }
  }

  @Test
  void proxyThatStopsReading_doesNotHoldUpTheOthers() {
    XdsServerOptions oneWorker = FakeDiscoveryServer.TEST_OPTIONS.withPushThrottle(1)
        .withPushWaitLimit(Duration.ofMillis(20));
    try (FakeDiscoveryServer fake = FakeDiscoveryServer.start(FakeDiscoveryServer.emptyEnvironment(),
        List.of(StubGenerator.clusters("a")), oneWorker, true)) {
      StreamObserver<DiscoveryRequest> stuck = openStuckStream(fake);
      stuck.onNext(DiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.CLUSTER)
          .setNode(AdsTestClient.sidecarNode("10.0.0.9", "stuck", "ns")).build());
      AdsTestClient.Sotw healthy = fake.client().sotw(AdsTestClient.sidecarNode("10.0.0.1", "healthy", "ns"));
      healthy.requestAndAck(TypeUrls.CLUSTER);
      await().until(() -> fake.server().connections().size() == 2);

      for (int i = 0; i < 3; i++) {
        fake.server().pushAll(PushRequest.forced(TriggerReason.DEBUG));
        healthy.ack(healthy.expect(TypeUrls.CLUSTER));
      }

      // The stuck proxy's answer was generated but never taken: it holds its one push in flight,
      // and later pushes merge into a single parked request instead of piling up.
      await().until(() -> fake.server().pushStats().inFlight() == 1);
      XdsConnectionSnapshot stuckState = fake.server().connections().stream()
          .filter(c -> c.proxy().id().equals("stuck.ns")).findFirst().orElseThrow();
      assertThat(stuckState.watched().getFirst().nonceSent()).isNotEmpty();
      assertThat(fake.server().pushStats().queued()).isZero();
    }
  }

  @Test
  void realNettyServer_withIstiodGrpcOptions_servesAndReportsThePeer() throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    try (DiscoveryServer discovery = new DiscoveryServer(FakeDiscoveryServer.emptyEnvironment(),
        Map.of(TypeUrls.CLUSTER, StubGenerator.clusters("a")), FakeDiscoveryServer.TEST_OPTIONS, registry)) {
      discovery.start();
      discovery.markReady();
      Server server = GrpcServerOptions.defaults()
          .applyTo(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)))
          .addService(discovery).build().start();
      try (AdsTestClient client = AdsTestClient.connect("127.0.0.1", server.getPort())) {
        AdsTestClient.Sotw ads = client.sotw(AdsTestClient.sidecarNode("10.0.0.1", "real", "ns"));
        ads.requestAndAck(TypeUrls.CLUSTER);

        await().until(() -> !discovery.connections().isEmpty());
        assertThat(discovery.connections().getFirst().peerAddress()).matches("127\\.0\\.0\\.1:\\d+");
      } finally {
        server.shutdownNow();
      }
    }
  }

  /** A SotW stream whose client never asks for a response, so HTTP/2 flow control blocks the server. */
  private static StreamObserver<DiscoveryRequest> openStuckStream(FakeDiscoveryServer fake) {
    return AggregatedDiscoveryServiceGrpc.newStub(fake.channel()).streamAggregatedResources(
        new ClientResponseObserver<DiscoveryRequest, DiscoveryResponse>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<DiscoveryRequest> requestStream) {
            requestStream.disableAutoRequestWithInitial(0);
          }

          @Override
          public void onNext(DiscoveryResponse value) {}

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        });
  }
}
