package dev.istiod.xds.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.testing.AdsTestClient;
import dev.istiod.xds.testing.FakeDiscoveryServer;
import io.envoyproxy.envoy.admin.v3.BootstrapConfigDump;
import io.envoyproxy.envoy.admin.v3.ClustersConfigDump;
import io.envoyproxy.envoy.admin.v3.EcdsConfigDump;
import io.envoyproxy.envoy.admin.v3.ListenersConfigDump;
import io.envoyproxy.envoy.admin.v3.RoutesConfigDump;
import io.envoyproxy.envoy.admin.v3.ScopedRoutesConfigDump;
import io.envoyproxy.envoy.admin.v3.SecretsConfigDump;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.status.v3.ClientConfig;
import io.envoyproxy.envoy.service.status.v3.ConfigStatus;
import io.grpc.Status;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The debug types istioctl asks for over xDS ({@code istio.io/debug/syncz} for proxy-status and version,
 * {@code istio.io/debug/config_dump} for proxy-status of one proxy), driven as istioctl's ADS client does: a node
 * of its own with {@code GENERATOR=event}, one request, no ACK.
 */
class DebugTypesTest {
  private static final Node APP = AdsTestClient.sidecarNode("10.0.0.1", "app-1", "default");
  private static final Node DB = AdsTestClient.sidecarNode("10.0.0.2", "db-1", "prod");

  private final StubGenerator cds = StubGenerator.clusters("a", "b");
  private final StubGenerator lds = StubGenerator.listeners("l1");
  private final StubGenerator rds = StubGenerator.routes("80");
  /** The identities the next stream to open proves, as istiod's authenticator would on the secure port. */
  private final AtomicReference<List<String>> callerIdentities = new AtomicReference<>(List.of());
  private FakeDiscoveryServer fake;

  @BeforeEach
  void setUp() {
    fake = FakeDiscoveryServer.start(FakeDiscoveryServer.emptyEnvironment(), List.of(cds, lds, rds));
    fake.server().authenticator(callerIdentities::get);
    fake.server().controlPlane(ControlPlaneInstance.istiod("istiod-7d4b9", "1.2.3"));
  }

  @AfterEach
  void tearDown() {
    fake.close();
  }

  /** istioctl's node: adsc's defaults, istiod's namespace and service account in the metadata. */
  private static Node istioctlNode() {
    return Node.newBuilder()
        .setId("sidecar~10.9.9.9~test-1.default~default.svc.cluster.local")
        .setMetadata(Struct.newBuilder()
            .putFields("GENERATOR", text("event"))
            .putFields("SERVICE_ACCOUNT", text("default"))
            .putFields("NAMESPACE", text("istio-system"))
            .putFields("ISTIO_VERSION", text("65536.65536.65536")))
        .build();
  }

  private static Value text(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  private DiscoveryResponse ask(List<String> identities, String typeUrl, String... names) {
    callerIdentities.set(identities);
    AdsTestClient.Sotw istioctl = fake.client().sotw(istioctlNode());
    istioctl.send(DiscoveryRequest.newBuilder().setTypeUrl(typeUrl).addAllResourceNames(List.of(names))
        .setResponseNonce("2026-11-22 00:00:00 +0000 UTC").build());
    return istioctl.expect(typeUrl);
  }

  private static Map<String, ClientConfig> byProxy(DiscoveryResponse syncz) throws Exception {
    Map<String, ClientConfig> out = new LinkedHashMap<>();
    for (Any a : syncz.getResourcesList()) {
      ClientConfig c = a.unpack(ClientConfig.class);
      out.put(c.getNode().getId(), c);
    }
    return out;
  }

  private static Map<String, ConfigStatus> statuses(ClientConfig c) {
    Map<String, ConfigStatus> out = new LinkedHashMap<>();
    c.getGenericXdsConfigsList().forEach(g -> out.put(g.getTypeUrl(), g.getConfigStatus()));
    return out;
  }

  @Test
  void syncz_anonymousCaller_isRefusedAsUnauthenticated_likeUpstreamsDefault() {
    AdsTestClient.Sotw istioctl = fake.client().sotw(istioctlNode());
    istioctl.send(DiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.DEBUG_SYNCZ).build());

    Status status = istioctl.expectClosed();
    assertThat(status.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(status.getDescription()).isEqualTo("authentication required");
  }

  @Test
  void syncz_listsEachProxy_withTheStatusOfEveryTypeItWatches_andWhichIstiodAnswered() throws Exception {
    fake.server().debugAccess(new DebugAccess(false, Set.of()));
    AdsTestClient.Sotw app = fake.client().sotw(APP);
    app.requestAndAck(TypeUrls.CLUSTER);
    DiscoveryResponse listeners = app.request(TypeUrls.LISTENER).expect(TypeUrls.LISTENER); // not ACKed: STALE
    app.nack(app.request(TypeUrls.ROUTE, "80").expect(TypeUrls.ROUTE), "route 80 is bad");
    await().until(() -> fake.server().connections().getFirst().watched().stream()
        .anyMatch(w -> !w.lastError().isEmpty()));

    DiscoveryResponse syncz = ask(List.of(), TypeUrls.DEBUG_SYNCZ);

    Map<String, ClientConfig> proxies = byProxy(syncz);
    assertThat(proxies).as("the proxy, and not istioctl's own connection").containsOnlyKeys("app-1.default");
    ClientConfig app1 = proxies.get("app-1.default");
    assertThat(statuses(app1)).containsExactly(
        Map.entry(TypeUrls.CLUSTER, ConfigStatus.SYNCED),
        Map.entry(TypeUrls.LISTENER, ConfigStatus.STALE),
        Map.entry(TypeUrls.ROUTE, ConfigStatus.ERROR));
    assertThat(app1.getGenericXdsConfigsList().get(2).getErrorState().getDetails()).isEqualTo("route 80 is bad");
    assertThat(app1.getGenericXdsConfigsList()).allSatisfy(g -> assertThat(g.hasLastUpdated()).isTrue());
    assertThat(app1.getNode().getMetadata().getFieldsMap().get("NAMESPACE").getStringValue()).isEqualTo("default");
    assertThat(listeners.getResourcesCount()).isOne();
    assertThat(syncz.getControlPlane().getIdentifier())
        .isEqualTo("{\"Component\":\"istiod\",\"ID\":\"istiod-7d4b9\",\"Info\":{\"version\":\"1.2.3\","
            + "\"revision\":\"\",\"golang_version\":\"java" + Runtime.version().feature() + "\",\"status\":\"\","
            + "\"tag\":\"1.2.3\"}}");
  }

  @Test
  void syncz_overDelta_namesEachProxy_andCarriesTheControlPlane() throws Exception {
    fake.server().debugAccess(new DebugAccess(false, Set.of()));
    fake.client().delta(APP).subscribeAndAck(TypeUrls.CLUSTER);
    await().until(() -> fake.server().connections().size() == 1);

    AdsTestClient.Delta istioctl = fake.client().delta(istioctlNode());
    var syncz = istioctl.subscribe(TypeUrls.DEBUG_SYNCZ).expect(TypeUrls.DEBUG_SYNCZ);

    assertThat(syncz.getResourcesList()).singleElement().satisfies(r -> {
      assertThat(r.getName()).isEqualTo("app-1.default");
      assertThat(statuses(r.getResource().unpack(ClientConfig.class)))
          .containsExactly(Map.entry(TypeUrls.CLUSTER, ConfigStatus.SYNCED));
    });
    assertThat(syncz.getRemovedResourcesList()).isEmpty();
    assertThat(syncz.getControlPlane().getIdentifier()).contains("\"ID\":\"istiod-7d4b9\"");
  }

  @Test
  void syncz_aProxyThatWasNeverAnswered_isNotSent() throws Exception {
    fake.server().debugAccess(new DebugAccess(false, Set.of()));
    AdsTestClient.Sotw app = fake.client().sotw(APP);
    app.requestAndAck(TypeUrls.CLUSTER);
    // An EDS subscription this server has no generator for: watched, never answered.
    app.request(TypeUrls.ENDPOINT, "a");
    await().until(() -> fake.server().connections().getFirst().watched().size() == 2);

    ClientConfig app1 = byProxy(ask(List.of(), TypeUrls.DEBUG_SYNCZ)).get("app-1.default");

    assertThat(statuses(app1)).containsEntry(TypeUrls.ENDPOINT, ConfigStatus.NOT_SENT);
  }

  @Test
  void syncz_callerFromAnotherNamespace_seesOnlyItsOwnNamespace_systemNamespaceSeesAll() throws Exception {
    callerIdentities.set(List.of("spiffe://cluster.local/ns/default/sa/app"));
    fake.client().sotw(APP).requestAndAck(TypeUrls.CLUSTER);
    callerIdentities.set(List.of("spiffe://cluster.local/ns/prod/sa/db"));
    fake.client().sotw(DB).requestAndAck(TypeUrls.CLUSTER);
    await().until(() -> fake.server().connections().size() == 2);

    // istioctl's node says istio-system/default; a caller of another namespace must connect as its own.
    callerIdentities.set(List.of("spiffe://cluster.local/ns/prod/sa/ops"));
    AdsTestClient.Sotw prodCaller = fake.client().sotw(AdsTestClient.sidecarNode("10.9.9.8", "ops", "prod"));
    prodCaller.send(DiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.DEBUG_SYNCZ).build());
    assertThat(byProxy(prodCaller.expect(TypeUrls.DEBUG_SYNCZ))).containsOnlyKeys("db-1.prod");

    DiscoveryResponse fromSystem = ask(List.of("spiffe://cluster.local/ns/istio-system/sa/default"),
        TypeUrls.DEBUG_SYNCZ);
    assertThat(byProxy(fromSystem)).containsOnlyKeys("app-1.default", "db-1.prod");
  }

  @Test
  void syncz_allowedNamespace_seesAll() throws Exception {
    fake.server().debugAccess(new DebugAccess(true, Set.of("monitoring")));
    callerIdentities.set(List.of("spiffe://cluster.local/ns/default/sa/app"));
    fake.client().sotw(APP).requestAndAck(TypeUrls.CLUSTER);
    await().until(() -> fake.server().connections().size() == 1);

    callerIdentities.set(List.of("spiffe://cluster.local/ns/monitoring/sa/kiali"));
    AdsTestClient.Sotw kiali = fake.client().sotw(AdsTestClient.sidecarNode("10.9.9.7", "kiali", "monitoring"));
    kiali.send(DiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.DEBUG_SYNCZ).build());

    assertThat(byProxy(kiali.expect(TypeUrls.DEBUG_SYNCZ))).containsOnlyKeys("app-1.default");
  }

  @Test
  void configDump_ofAConnectedProxy_isEnvoysConfigDumpSections_withoutEndpoints() throws Exception {
    fake.server().debugAccess(new DebugAccess(false, Set.of()));
    AdsTestClient.Sotw app = fake.client().sotw(APP);
    app.requestAndAck(TypeUrls.CLUSTER);
    app.requestAndAck(TypeUrls.LISTENER);
    await().until(() -> fake.server().connections().getFirst().watched().size() == 2);

    DiscoveryResponse dump = ask(List.of(), TypeUrls.DEBUG_CONFIG_DUMP, "app-1.default");

    assertThat(dump.getResourcesList()).extracting(Any::getTypeUrl).containsExactly(
        Any.pack(BootstrapConfigDump.getDefaultInstance()).getTypeUrl(),
        Any.pack(ClustersConfigDump.getDefaultInstance()).getTypeUrl(),
        Any.pack(ListenersConfigDump.getDefaultInstance()).getTypeUrl(),
        Any.pack(ScopedRoutesConfigDump.getDefaultInstance()).getTypeUrl(),
        Any.pack(RoutesConfigDump.getDefaultInstance()).getTypeUrl(),
        Any.pack(SecretsConfigDump.getDefaultInstance()).getTypeUrl(),
        Any.pack(EcdsConfigDump.getDefaultInstance()).getTypeUrl());
    ClustersConfigDump clusters = dump.getResources(1).unpack(ClustersConfigDump.class);
    assertThat(clusters.getDynamicActiveClustersList())
        .extracting(c -> c.getCluster().unpack(Cluster.class).getName()).containsExactly("a", "b");
    assertThat(dump.hasControlPlane()).as("only syncz carries the control plane").isFalse();
  }

  @Test
  void configDump_ofAProxyThatIsNotConnected_isAnEmptyAnswer_andTheStreamStaysUp() {
    fake.server().debugAccess(new DebugAccess(false, Set.of()));

    assertThat(ask(List.of(), TypeUrls.DEBUG_CONFIG_DUMP, "nobody.nowhere").getResourcesList()).isEmpty();
    assertThat(ask(List.of(), TypeUrls.DEBUG_CONFIG_DUMP).getResourcesList()).as("no proxy named").isEmpty();
  }

  @Test
  void configDump_ofAProxyInAnotherNamespace_isHiddenFromARestrictedCaller() {
    callerIdentities.set(List.of("spiffe://cluster.local/ns/prod/sa/db"));
    fake.client().sotw(DB).requestAndAck(TypeUrls.CLUSTER);
    await().until(() -> fake.server().connections().size() == 1);

    callerIdentities.set(List.of("spiffe://cluster.local/ns/default/sa/app"));
    AdsTestClient.Sotw other = fake.client().sotw(AdsTestClient.sidecarNode("10.9.9.6", "curious", "default"));
    other.send(DiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.DEBUG_CONFIG_DUMP).addResourceNames("db-1.prod")
        .build());

    assertThat(other.expect(TypeUrls.DEBUG_CONFIG_DUMP).getResourcesList()).isEmpty();
  }

  @Test
  void debugTypes_areNeverPushed_onConfigChanges() {
    fake.server().debugAccess(new DebugAccess(false, Set.of()));
    callerIdentities.set(List.of());
    AdsTestClient.Sotw istioctl = fake.client().sotw(istioctlNode());
    istioctl.send(DiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.DEBUG_SYNCZ).build());
    istioctl.expect(TypeUrls.DEBUG_SYNCZ);

    fake.server().pushAll(dev.istiod.model.PushRequest.forced(dev.istiod.model.TriggerReason.DEBUG));
    fake.awaitIdle();

    istioctl.expectNoResponse(java.time.Duration.ofMillis(300));
  }

  // ---- istio.io/debug: istiod's debug pages (istioctl x internal-debug) ----

  private void pages() {
    fake.server().debugPages(page -> switch (page.split("\\?")[0]) {
      case "syncz" -> java.util.Optional.of(new DebugPages.Page(200, "[\"syncz page\"]".getBytes()));
      case "config_dump" -> java.util.Optional.of(new DebugPages.Page(200, ("dump of " + page).getBytes()));
      default -> java.util.Optional.empty();
    });
  }

  private static String body(DiscoveryResponse r) {
    assertThat(r.getResourcesList()).singleElement()
        .satisfies(a -> assertThat(a.getTypeUrl()).isEqualTo(TypeUrls.DEBUG));
    return r.getResources(0).getValue().toStringUtf8();
  }

  @Test
  void debugPage_needsAnIdentity_evenWithAccessNotEnforced() {
    fake.server().debugAccess(new DebugAccess(false, Set.of()));
    pages();
    AdsTestClient.Sotw istioctl = fake.client().sotw(istioctlNode());
    istioctl.send(DiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.DEBUG).addResourceNames("syncz").build());

    Status status = istioctl.expectClosed();
    assertThat(status.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void debugPage_forTheSystemNamespace_isThePagesBody_andUnknownPagesAre404() {
    pages();
    List<String> system = List.of("spiffe://cluster.local/ns/istio-system/sa/default");

    assertThat(body(ask(system, TypeUrls.DEBUG, "syncz"))).isEqualTo("[\"syncz page\"]");
    assertThat(body(ask(system, TypeUrls.DEBUG, "nonsense"))).isEqualTo("{\"statusCode\":\"404\"}404 page not found\n");
  }

  @Test
  void debugPage_forAnotherNamespace_isOnlyTheConfigDumpOfItsOwnProxies() {
    pages();
    callerIdentities.set(List.of("spiffe://cluster.local/ns/default/sa/app"));
    fake.client().sotw(APP).requestAndAck(TypeUrls.CLUSTER);
    callerIdentities.set(List.of("spiffe://cluster.local/ns/prod/sa/db"));
    fake.client().sotw(DB).requestAndAck(TypeUrls.CLUSTER);
    await().until(() -> fake.server().connections().size() == 2);

    callerIdentities.set(List.of("spiffe://cluster.local/ns/default/sa/app"));
    AdsTestClient.Sotw own = fake.client().sotw(AdsTestClient.sidecarNode("10.9.9.5", "dev", "default"));
    own.send(DiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.DEBUG)
        .addResourceNames("config_dump?proxyID=app-1.default").build());
    assertThat(body(own.expect(TypeUrls.DEBUG))).isEqualTo("dump of config_dump?proxyID=app-1.default");

    AdsTestClient.Sotw other = fake.client().sotw(AdsTestClient.sidecarNode("10.9.9.4", "dev2", "default"));
    other.send(DiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.DEBUG)
        .addResourceNames("config_dump?proxyID=db-1.prod").build());
    assertThat(body(other.expect(TypeUrls.DEBUG))).startsWith("{\"statusCode\":\"404\"}").doesNotContain("dump of");

    AdsTestClient.Sotw denied = fake.client().sotw(AdsTestClient.sidecarNode("10.9.9.3", "dev3", "default"));
    denied.send(DiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.DEBUG).addResourceNames("syncz").build());
    Status status = denied.expectClosed();
    assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(status.getDescription()).contains("spiffe://cluster.local/ns/default/sa/app");
  }
}
