package dev.istiod.xds.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.istiod.model.ServiceKey;
import dev.istiod.model.PushRequest;
import dev.istiod.model.TriggerReason;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.testing.AdsTestClient;
import dev.istiod.xds.testing.FakeDiscoveryServer;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Status;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The state-of-the-world ADS protocol, as Envoy drives it. */
class SotwProtocolTest {
  private static final Node NODE = AdsTestClient.sidecarNode("10.0.0.1", "app-1", "default");

  private final StubGenerator cds = StubGenerator.clusters("a", "b");
  private final StubGenerator eds = StubGenerator.endpoints("a", "b");
  private final StubGenerator lds = StubGenerator.listeners("l1", "l2");
  private final StubGenerator rds = StubGenerator.routes("80", "8080");
  private FakeDiscoveryServer fake;
  private AdsTestClient.Sotw ads;

  @BeforeEach
  void setUp() {
    fake = FakeDiscoveryServer.start(FakeDiscoveryServer.emptyEnvironment(), List.of(cds, eds, lds, rds));
    ads = fake.client().sotw(NODE);
  }

  @AfterEach
  void tearDown() {
    fake.close();
  }

  @Test
  void firstRequest_withoutNode_failsWithInvalidArgument() {
    AdsTestClient.Sotw anonymous = fake.client().sotw(null);
    anonymous.send(DiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.CLUSTER).build());

    Status status = anonymous.expectClosed();
    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).isEqualTo("missing node information");
  }

  @Test
  void firstRequest_withMalformedNodeId_failsWithTheParseError() {
    AdsTestClient.Sotw bad = fake.client().sotw(Node.newBuilder().setId("not-a-node-id").build());
    bad.send(DiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.CLUSTER).build());

    Status status = bad.expectClosed();
    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).contains("not-a-node-id");
  }

  @Test
  void wildcardCds_getsEveryCluster_withUpstreamVersionAndNonce() throws Exception {
    ads.request(TypeUrls.CLUSTER);

    DiscoveryResponse r = ads.expect(TypeUrls.CLUSTER);
    assertThat(names(r)).containsExactly("a", "b");
    assertThat(r.getVersionInfo()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(Z|[+-]\\d\\d:\\d\\d)/\\d+");
    assertThat(r.getNonce()).startsWith(r.getVersionInfo()).hasSizeGreaterThan(r.getVersionInfo().length());
  }

  @Test
  void starSubscription_isWildcard() throws Exception {
    ads.request(TypeUrls.LISTENER, "*");

    assertThat(names(ads.expect(TypeUrls.LISTENER))).containsExactly("l1", "l2");
  }

  @Test
  void ack_isRecordedAndNotAnswered() {
    DiscoveryResponse r = ads.requestAndAck(TypeUrls.CLUSTER);

    await().until(() -> watch(TypeUrls.CLUSTER).nonceAcked().equals(r.getNonce()));
    XdsConnectionSnapshot.Watch w = watch(TypeUrls.CLUSTER);
    assertThat(w.versionAcked()).isEqualTo(r.getVersionInfo());
    assertThat(w.nonceSent()).isEqualTo(r.getNonce());
    assertThat(pushes("cds")).isEqualTo(1);
  }

  @Test
  void nack_recordsTheErrorCountsItAndIsNotAnswered() {
    ads.request(TypeUrls.CLUSTER);
    DiscoveryResponse r = ads.expect(TypeUrls.CLUSTER);
    ads.nack(r, "cluster a: bad thing");

    await().until(() -> watch(TypeUrls.CLUSTER).lastError().equals("cluster a: bad thing"));
    assertThat(pushes("cds")).isEqualTo(1);
    assertThat(Metrics.value(fake.registry(), "pilot_total_xds_rejects", "type", "cds")).isEqualTo(1);
    assertThat(Metrics.value(fake.registry(), "pilot_xds_cds_reject", "node", "app-1.default",
        "err", "InvalidArgument")).isEqualTo(1);

    // The next ACK clears the error.
    fake.server().pushAll(PushRequest.forced(TriggerReason.DEBUG));
    DiscoveryResponse pushed = ads.expect(TypeUrls.CLUSTER);
    ads.ack(pushed);
    await().until(() -> watch(TypeUrls.CLUSTER).lastError().isEmpty());
  }

  @Test
  void staleNonce_isIgnoredAndCounted() {
    ads.request(TypeUrls.CLUSTER);
    DiscoveryResponse first = ads.expect(TypeUrls.CLUSTER);
    fake.server().pushAll(PushRequest.forced(TriggerReason.DEBUG));
    DiscoveryResponse second = ads.expect(TypeUrls.CLUSTER);

    ads.ack(first);

    await().until(() -> Metrics.value(fake.registry(), "pilot_xds_expired_nonce", "type", "cds") == 1);
    assertThat(watch(TypeUrls.CLUSTER).nonceAcked()).isEmpty();
    assertThat(watch(TypeUrls.CLUSTER).nonceSent()).isEqualTo(second.getNonce());
    assertThat(pushes("cds")).isEqualTo(2);
  }

  @Test
  void eds_answersOnlySubscribedNames_andOnlyTheAddedOnesOnChange() throws Exception {
    ads.request(TypeUrls.ENDPOINT, "a");
    DiscoveryResponse first = ads.expect(TypeUrls.ENDPOINT);
    assertThat(clusterNames(first)).containsExactly("a");

    ads.ack(first, "a", "b");
    DiscoveryResponse second = ads.expect(TypeUrls.ENDPOINT);
    assertThat(clusterNames(second)).containsExactly("b");

    ads.ack(second, "a");
    await().until(() -> watch(TypeUrls.ENDPOINT).resourceNames().equals(List.of("a")));
    assertThat(pushes("eds")).isEqualTo(2);
  }

  @Test
  void eds_emptyNames_unsubscribes_andPushesSkipIt() {
    ads.requestAndAck(TypeUrls.CLUSTER);
    DiscoveryResponse edsResponse = ads.requestAndAck(TypeUrls.ENDPOINT, "a");

    ads.ack(edsResponse, new String[0]);
    await().until(() -> snapshot().watched().stream().noneMatch(w -> w.typeUrl().equals(TypeUrls.ENDPOINT)));

    fake.server().pushAll(PushRequest.forced(TriggerReason.DEBUG));
    ads.expect(TypeUrls.CLUSTER);
    fake.awaitIdle();
    assertThat(pushes("eds")).isEqualTo(1);
  }

  @Test
  void push_sendsClustersEndpointsListenersRoutesInThatOrder() {
    // Subscribed in reverse order: the order on the wire is the server's.
    ads.requestAndAck(TypeUrls.ROUTE, "80");
    ads.requestAndAck(TypeUrls.LISTENER);
    ads.requestAndAck(TypeUrls.ENDPOINT, "a");
    ads.requestAndAck(TypeUrls.CLUSTER);
    // Clusters re-subscribed: the EDS warming answer follows the CDS one.
    ads.requestAndAck(TypeUrls.ENDPOINT, "a");

    fake.configUpdate(PushRequest.forced(TriggerReason.CONFIG));

    assertThat(List.of(ads.expect().getTypeUrl(), ads.expect().getTypeUrl(), ads.expect().getTypeUrl(),
        ads.expect().getTypeUrl()))
        .containsExactly(TypeUrls.CLUSTER, TypeUrls.ENDPOINT, TypeUrls.LISTENER, TypeUrls.ROUTE);
  }

  @Test
  void fullPush_sendsOnlyTheTypesWhoseResourcesChanged() throws Exception {
    ads.requestAndAck(TypeUrls.CLUSTER);
    ads.requestAndAck(TypeUrls.ENDPOINT, "a");
    ads.requestAndAck(TypeUrls.LISTENER);
    ads.requestAndAck(TypeUrls.ROUTE, "80");
    lds.put("l3");

    fake.configUpdate(PushRequest.full(TriggerReason.CONFIG, Set.of()));

    // Clusters, endpoints and routes are what the proxy holds: only the listeners go out.
    DiscoveryResponse r = ads.expect();
    assertThat(r.getTypeUrl()).isEqualTo(TypeUrls.LISTENER);
    assertThat(names(r)).containsExactly("l1", "l2", "l3");
    ads.ack(r);
    // Nothing else was sent in between: the next message is the answer to a forced push, which sends everything.
    fake.server().pushAll(PushRequest.forced(TriggerReason.DEBUG));
    assertThat(ads.expect().getTypeUrl()).isEqualTo(TypeUrls.CLUSTER);
  }

  @Test
  void fullPush_thatChangesClusters_sendsTheirEndpointsToo_evenIfUnchanged() throws Exception {
    ads.requestAndAck(TypeUrls.CLUSTER);
    ads.requestAndAck(TypeUrls.ENDPOINT, "a");
    ads.requestAndAck(TypeUrls.LISTENER);
    cds.put("c");

    fake.configUpdate(PushRequest.full(TriggerReason.CONFIG, Set.of()));

    // Changed clusters warm until Envoy has their endpoints.
    DiscoveryResponse clusters = ads.expect();
    assertThat(clusters.getTypeUrl()).isEqualTo(TypeUrls.CLUSTER);
    assertThat(names(clusters)).containsExactly("a", "b", "c");
    DiscoveryResponse endpoints = ads.expect();
    assertThat(clusterNames(endpoints)).containsExactly("a");
    ads.ack(clusters);
    ads.ack(endpoints);
    fake.server().pushAll(PushRequest.forced(TriggerReason.DEBUG));
    assertThat(ads.expect().getTypeUrl()).isEqualTo(TypeUrls.CLUSTER);
  }

  @Test
  void fullPush_afterANack_sendsAgain() throws Exception {
    ads.request(TypeUrls.CLUSTER);
    DiscoveryResponse rejected = ads.expect(TypeUrls.CLUSTER);
    ads.nack(rejected, "cluster a: bad thing");
    await().until(() -> !watch(TypeUrls.CLUSTER).lastError().isEmpty());

    fake.configUpdate(PushRequest.full(TriggerReason.CONFIG, Set.of()));

    // The proxy kept its previous clusters, so the same ones are not "already held".
    DiscoveryResponse again = ads.expect();
    assertThat(again.getTypeUrl()).isEqualTo(TypeUrls.CLUSTER);
    assertThat(names(again)).containsExactly("a", "b");
  }

  @Test
  void cdsResubscribe_forcesAnEdsAnswerToWhatLooksLikeAnAck() throws Exception {
    ads.requestAndAck(TypeUrls.CLUSTER);
    DiscoveryResponse edsResponse = ads.requestAndAck(TypeUrls.ENDPOINT, "a");

    // Envoy reconnecting or re-initialising CDS: a request with no nonce.
    ads.send(DiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.CLUSTER).build());
    ads.expect(TypeUrls.CLUSTER);
    // Its next EDS request repeats the last nonce and names: normally an ACK, here answered.
    ads.ack(edsResponse, "a");

    assertThat(clusterNames(ads.expect(TypeUrls.ENDPOINT))).containsExactly("a");
  }

  @Test
  void endpointOnlyChange_sendsOnlyEdsOfTheAffectedClusters_withoutRebuildingThePushContext() throws Exception {
    ads.requestAndAck(TypeUrls.CLUSTER);
    ads.requestAndAck(TypeUrls.ENDPOINT, "a", "b");
    ads.requestAndAck(TypeUrls.LISTENER);
    var before = fake.server().pushContext();

    fake.configUpdate(PushRequest.endpoints(Set.of(new ServiceKey("b", "default"))));

    DiscoveryResponse r = ads.expect(TypeUrls.ENDPOINT);
    assertThat(clusterNames(r)).containsExactly("b");
    assertThat(fake.server().pushContext()).isSameAs(before);
    // Nothing else was sent in between: the next message is the answer to a later full push.
    fake.server().pushAll(PushRequest.forced(TriggerReason.DEBUG));
    assertThat(ads.expect().getTypeUrl()).isEqualTo(TypeUrls.CLUSTER);
    assertThat(fake.server().pushStats().incrementalPushes()).isEqualTo(1);
  }

  @Test
  void endpointChange_ofUnwatchedCluster_sendsNothing() {
    ads.requestAndAck(TypeUrls.CLUSTER);
    ads.requestAndAck(TypeUrls.ENDPOINT, "a");

    fake.configUpdate(PushRequest.endpoints(Set.of(new ServiceKey("b", "default"))));
    fake.awaitIdle();
    fake.server().pushAll(PushRequest.forced(TriggerReason.DEBUG));

    assertThat(ads.expect().getTypeUrl()).isEqualTo(TypeUrls.CLUSTER);
  }

  @Test
  void typeNeverSubscribed_isNeverSent() {
    ads.requestAndAck(TypeUrls.LISTENER);

    fake.configUpdate(PushRequest.forced(TriggerReason.CONFIG));
    fake.awaitIdle();

    assertThat(ads.expect().getTypeUrl()).isEqualTo(TypeUrls.LISTENER);
    assertThat(pushes("cds")).isZero();
    assertThat(pushes("rds")).isZero();
  }

  @Test
  void connections_describeEachStream() {
    ads.requestAndAck(TypeUrls.ENDPOINT, "b", "a");

    await().until(() -> !fake.server().connections().isEmpty());
    XdsConnectionSnapshot s = snapshot();
    assertThat(s.connectionId()).matches("app-1\\.default-\\d+");
    assertThat(s.nodeId()).isEqualTo(NODE.getId());
    assertThat(s.peerAddress()).isNotBlank();
    assertThat(s.delta()).isFalse();
    assertThat(watch(TypeUrls.ENDPOINT).resourceNames()).containsExactly("a", "b");
    assertThat(Metrics.value(fake.registry(), "pilot_xds")).isEqualTo(1);

    ads.close();
    await().until(() -> fake.server().connections().isEmpty());
    assertThat(Metrics.value(fake.registry(), "pilot_xds")).isZero();
  }

  @Test
  void configDump_generatesEveryTypeForTheProxy() {
    ads.requestAndAck(TypeUrls.CLUSTER);
    ads.requestAndAck(TypeUrls.ROUTE, "80");
    await().until(() -> snapshot().watched().size() == 2);

    ConfigDump dump = fake.server().configDump("app-1.default").orElseThrow();

    assertThat(dump.types()).extracting(ConfigDump.TypedResources::typeUrl)
        .containsExactly(TypeUrls.CLUSTER, TypeUrls.LISTENER, TypeUrls.ROUTE);
    assertThat(dump.types().get(2).resources()).extracting(r -> r.name()).containsExactly("80");
    assertThat(fake.server().configDump("nobody.nowhere")).isEmpty();
  }

  private XdsConnectionSnapshot snapshot() {
    return fake.server().connections().getFirst();
  }

  private XdsConnectionSnapshot.Watch watch(String typeUrl) {
    return snapshot().watched().stream().filter(w -> w.typeUrl().equals(typeUrl)).findFirst().orElseThrow();
  }

  private double pushes(String type) {
    return Metrics.value(fake.registry(), "pilot_xds_pushes", "type", type);
  }

  private static List<String> names(DiscoveryResponse r) throws InvalidProtocolBufferException {
    List<String> out = new java.util.ArrayList<>();
    for (var any : r.getResourcesList()) {
      out.add(any.is(Cluster.class) ? any.unpack(Cluster.class).getName()
          : any.unpack(io.envoyproxy.envoy.config.listener.v3.Listener.class).getName());
    }
    return out;
  }

  private static List<String> clusterNames(DiscoveryResponse r) throws InvalidProtocolBufferException {
    List<String> out = new java.util.ArrayList<>();
    for (var any : r.getResourcesList()) {
      out.add(any.unpack(ClusterLoadAssignment.class).getClusterName());
    }
    return out;
  }
}
