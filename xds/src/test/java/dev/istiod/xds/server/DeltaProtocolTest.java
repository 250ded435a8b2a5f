package dev.istiod.xds.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.istiod.model.PushRequest;
import dev.istiod.model.ServiceKey;
import dev.istiod.model.TriggerReason;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.testing.AdsTestClient;
import dev.istiod.xds.testing.FakeDiscoveryServer;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.Status;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The incremental (delta) ADS protocol, as Envoy with {@code DELTA_GRPC} drives it. */
class DeltaProtocolTest {
  private static final Node NODE = AdsTestClient.sidecarNode("10.0.0.2", "app-2", "prod");

  private final StubGenerator cds = StubGenerator.clusters("a", "b");
  private final StubGenerator eds = StubGenerator.endpoints("a", "b");
  private final StubGenerator lds = StubGenerator.listeners("l1");
  private FakeDiscoveryServer fake;
  private AdsTestClient.Delta ads;

  @BeforeEach
  void setUp() {
    fake = FakeDiscoveryServer.start(FakeDiscoveryServer.emptyEnvironment(), List.of(cds, eds, lds));
    ads = fake.client().delta(NODE);
  }

  @AfterEach
  void tearDown() {
    fake.close();
  }

  @Test
  void firstRequest_withoutNode_failsWithInvalidArgument() {
    AdsTestClient.Delta anonymous = fake.client().delta(null);
    anonymous.subscribe(TypeUrls.CLUSTER);

    Status status = anonymous.expectClosed();
    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).isEqualTo("missing node information");
  }

  @Test
  void emptyInitialSubscription_isWildcard_andCarriesVersionAndNonce() {
    DeltaDiscoveryResponse r = ads.subscribeAndAck(TypeUrls.CLUSTER);

    assertThat(names(r)).containsExactly("a", "b");
    assertThat(r.getRemovedResourcesList()).isEmpty();
    assertThat(r.getSystemVersionInfo()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(Z|[+-]\\d\\d:\\d\\d)/\\d+");
    assertThat(r.getNonce()).startsWith(r.getSystemVersionInfo());
    await().until(() -> watch(TypeUrls.CLUSTER).nonceAcked().equals(r.getNonce()));
    assertThat(watch(TypeUrls.CLUSTER).wildcard()).isTrue();
    assertThat(pushes("cds")).isEqualTo(1);
  }

  @Test
  void subscribe_answersTheNewNames_andUnsubscribeNeedsNoAnswer() {
    DeltaDiscoveryResponse first = ads.subscribeAndAck(TypeUrls.ENDPOINT, "a");
    assertThat(names(first)).containsExactly("a");

    ads.subscribe(TypeUrls.ENDPOINT, "b");
    DeltaDiscoveryResponse second = ads.expect(TypeUrls.ENDPOINT);
    assertThat(names(second)).containsExactly("b");
    ads.ack(second);

    ads.unsubscribe(TypeUrls.ENDPOINT, "a");
    await().until(() -> watch(TypeUrls.ENDPOINT).resourceNames().equals(List.of("b")));
    assertThat(pushes("eds")).isEqualTo(2);
  }

  @Test
  void subscribingToAMissingResource_answersWithItsRemoval() {
    DeltaDiscoveryResponse r = ads.subscribeAndAck(TypeUrls.ENDPOINT, "a", "missing");

    assertThat(names(r)).containsExactly("a");
    assertThat(r.getRemovedResourcesList()).containsExactly("missing");
  }

  @Test
  void fullPush_removesWhatIsNoLongerGenerated() {
    ads.subscribeAndAck(TypeUrls.CLUSTER);
    cds.remove("b");
    cds.put("c");

    fake.configUpdate(PushRequest.forced(TriggerReason.CONFIG));

    DeltaDiscoveryResponse r = ads.expect(TypeUrls.CLUSTER);
    assertThat(names(r)).containsExactly("a", "c");
    assertThat(r.getRemovedResourcesList()).containsExactly("b");
  }

  @Test
  void endpointOnlyPush_isIncremental_withoutRemovals() {
    ads.subscribeAndAck(TypeUrls.CLUSTER);
    ads.subscribeAndAck(TypeUrls.ENDPOINT, "a", "b");

    fake.configUpdate(PushRequest.endpoints(Set.of(new ServiceKey("a", "prod"))));

    DeltaDiscoveryResponse r = ads.expect(TypeUrls.ENDPOINT);
    assertThat(names(r)).containsExactly("a");
    assertThat(r.getRemovedResourcesList()).isEmpty();
  }

  @Test
  void clusterRequest_isFollowedByEndpoints() {
    ads.subscribeAndAck(TypeUrls.ENDPOINT, "a");
    ads.subscribe(TypeUrls.CLUSTER);

    ads.expect(TypeUrls.CLUSTER);
    assertThat(names(ads.expect(TypeUrls.ENDPOINT))).containsExactly("a");
  }

  @Test
  void nack_isRecordedAndCounted_andStaleNonceIgnored() {
    ads.subscribe(TypeUrls.LISTENER);
    DeltaDiscoveryResponse first = ads.expect(TypeUrls.LISTENER);
    ads.nack(first, "listener l1: bad");
    await().until(() -> watch(TypeUrls.LISTENER).lastError().equals("listener l1: bad"));
    assertThat(Metrics.value(fake.registry(), "pilot_total_xds_rejects", "type", "lds")).isEqualTo(1);
    assertThat(Metrics.value(fake.registry(), "pilot_xds_lds_reject", "node", "app-2.prod")).isEqualTo(1);

    fake.server().pushAll(PushRequest.forced(TriggerReason.DEBUG));
    DeltaDiscoveryResponse second = ads.expect(TypeUrls.LISTENER);
    ads.ack(first);
    await().until(() -> Metrics.value(fake.registry(), "pilot_xds_expired_nonce", "type", "lds") == 1);
    assertThat(watch(TypeUrls.LISTENER).nonceAcked()).isEmpty();

    ads.ack(second);
    await().until(() -> watch(TypeUrls.LISTENER).nonceAcked().equals(second.getNonce()));
    assertThat(watch(TypeUrls.LISTENER).lastError()).isEmpty();
    assertThat(watch(TypeUrls.LISTENER).versionAcked()).isEqualTo(second.getSystemVersionInfo());
  }

  @Test
  void reconnect_withInitialVersions_removesWhatNoLongerExists() {
    ads.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.CLUSTER)
        .putInitialResourceVersions("a", "")
        .putInitialResourceVersions("gone", "")
        .build());

    DeltaDiscoveryResponse r = ads.expect(TypeUrls.CLUSTER);
    assertThat(names(r)).contains("a");
    assertThat(r.getRemovedResourcesList()).containsExactly("gone");
  }

  private XdsConnectionSnapshot.Watch watch(String typeUrl) {
    return fake.server().connections().getFirst().watched().stream()
        .filter(w -> w.typeUrl().equals(typeUrl)).findFirst().orElseThrow();
  }

  private double pushes(String type) {
    return Metrics.value(fake.registry(), "pilot_xds_pushes", "type", type);
  }

  private static List<String> names(DeltaDiscoveryResponse r) {
    return r.getResourcesList().stream().map(Resource::getName).toList();
  }
}
