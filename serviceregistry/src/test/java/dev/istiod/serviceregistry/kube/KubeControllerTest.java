package dev.istiod.serviceregistry.kube;

import static dev.istiod.serviceregistry.kube.KubeObjects.clusterIp;
import static dev.istiod.serviceregistry.kube.KubeObjects.node;
import static dev.istiod.serviceregistry.kube.KubeObjects.pod;
import static dev.istiod.serviceregistry.kube.KubeObjects.service;
import static dev.istiod.serviceregistry.kube.KubeObjects.slice;
import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.model.ConfigKey;
import dev.istiod.model.Endpoint;
import dev.istiod.model.EndpointIndex;
import dev.istiod.model.Kind;
import dev.istiod.model.Locality;
import dev.istiod.model.PushRequest;
import dev.istiod.model.ServiceKey;
import dev.istiod.model.TriggerReason;
import dev.istiod.serviceregistry.kube.KubeObjects.Ep;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Event logic of the Kubernetes registry, driven with plain objects as the informers would deliver them. */
class KubeControllerTest {
  private static final ServiceKey REVIEWS = new ServiceKey("reviews.default.svc.cluster.local", "default");
  private static final ConfigKey REVIEWS_SERVICE = new ConfigKey(Kind.SERVICE, "default", REVIEWS.hostname());
  private static final ConfigKey REVIEWS_ENDPOINTS = new ConfigKey(Kind.ENDPOINTS, "default", REVIEWS.hostname());

  private final EndpointIndex index = new EndpointIndex();
  private final List<PushRequest> pushes = new ArrayList<>();
  private final List<PodInfo> podChanges = new ArrayList<>();
  private KubeController controller;

  @BeforeEach
  void syncedEmptyCluster() {
    controller = new KubeController(index, pushes::add,
        KubeServiceRegistry.Options.defaults().withPodChanges(podChanges::add));
    controller.sync(List.of(), List.of(), List.of(), List.of(), List.of());
    pushes.clear();
  }

  private void apply(Pod p) {
    controller.applyPod(ObjectName.of(p), p);
  }

  private void apply(EndpointSlice s) {
    controller.applySlice(ObjectName.of(s), s);
  }

  private void apply(io.fabric8.kubernetes.api.model.Service s) {
    controller.applyService(ObjectName.of(s), s);
  }

  /** reviews with two running pods (sa "reviews") and one slice listing both. */
  private void reviewsWithTwoPods() {
    apply(pod("default", "reviews-1", List.of("10.0.0.1"), "reviews", "node-a", "app=reviews", "version=v1"));
    apply(pod("default", "reviews-2", List.of("10.0.0.2"), "reviews", "node-a", "app=reviews", "version=v2"));
    apply(clusterIp("default", "reviews", "10.96.0.10", "http:9080"));
    apply(slice("default", "reviews-abc", "reviews", List.of("http:9080"),
        Ep.ready("10.0.0.1", "reviews-1"), Ep.ready("10.0.0.2", "reviews-2")));
    pushes.clear();
  }

  @Test
  void serviceAdd_isFullPushNamingTheService() {
    apply(clusterIp("default", "reviews", "10.96.0.10", "http:9080"));

    assertThat(controller.services()).extracting(s -> s.hostname()).containsExactly(REVIEWS.hostname());
    assertThat(pushes).hasSize(1);
    assertThat(pushes.get(0).full()).isTrue();
    assertThat(pushes.get(0).reasons()).containsExactly(TriggerReason.SERVICE);
    assertThat(pushes.get(0).configsUpdated()).containsExactly(REVIEWS_SERVICE);
  }

  @Test
  void serviceUpdateWithoutChange_pushesNothing_andDeleteIsFullPushThatDropsEndpoints() {
    reviewsWithTwoPods();
    apply(clusterIp("default", "reviews", "10.96.0.10", "http:9080"));
    assertThat(pushes).isEmpty();

    controller.applyService(new ObjectName("default", "reviews"), null);
    assertThat(controller.services()).isEmpty();
    assertThat(index.endpoints(REVIEWS)).isEmpty();
    assertThat(pushes).singleElement().satisfies(p -> {
      assertThat(p.full()).isTrue();
      assertThat(p.configsUpdated()).contains(REVIEWS_SERVICE);
    });
  }

  @Test
  void slice_becomesOneEndpointPerAddressAndPort_withPodIdentityLabelsAndLocality() {
    controller.applyNode("node-a", node("node-a", "topology.kubernetes.io/region=eu", "topology.kubernetes.io/zone=eu-1",
        "topology.istio.io/subzone=rack-3"));
    apply(pod("default", "reviews-1", List.of("10.0.0.1"), "reviews", "node-a",
        "app=reviews", "security.istio.io/tlsMode=istio"));
    apply(clusterIp("default", "reviews", "10.96.0.10", "http:9080", "grpc:9090"));
    apply(slice("default", "reviews-abc", "reviews", List.of("http:9080", "grpc:9090"), Ep.ready("10.0.0.1", "reviews-1")));

    List<Endpoint> eps = index.endpoints(REVIEWS);
    assertThat(eps).extracting(Endpoint::address, Endpoint::port, Endpoint::servicePortName)
        .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("10.0.0.1", 9080, "http"),
            org.assertj.core.groups.Tuple.tuple("10.0.0.1", 9090, "grpc"));
    Endpoint e = eps.get(0);
    assertThat(e.serviceAccount()).isEqualTo("spiffe://cluster.local/ns/default/sa/reviews");
    assertThat(e.tlsMode()).isEqualTo(Endpoint.TlsMode.ISTIO);
    assertThat(e.locality()).isEqualTo(new Locality("eu", "eu-1", "rack-3"));
    assertThat(e.health()).isEqualTo(Endpoint.Health.HEALTHY);
    assertThat(e.workloadName()).isEqualTo("reviews-1");
    assertThat(e.labels()).containsEntry("app", "reviews")
        .containsEntry("topology.istio.io/cluster", "Kubernetes")
        .containsEntry("topology.kubernetes.io/zone", "eu-1")
        .containsEntry("kubernetes.io/hostname", "node-a");
  }

  @Test
  void podWithoutTlsModeLabel_isPlainText() {
    reviewsWithTwoPods();
    assertThat(index.endpoints(REVIEWS)).allSatisfy(e -> assertThat(e.tlsMode()).isEqualTo(Endpoint.TlsMode.DISABLED));
  }

  @Test
  void slicesOfOneService_areMerged_andDeletingOneKeepsTheOther() {
    reviewsWithTwoPods();
    apply(pod("default", "reviews-3", List.of("10.0.0.3"), "reviews", "node-a", "app=reviews"));
    apply(slice("default", "reviews-def", "reviews", List.of("http:9080"), Ep.ready("10.0.0.3", "reviews-3")));
    assertThat(index.endpoints(REVIEWS)).extracting(Endpoint::address)
        .containsExactlyInAnyOrder("10.0.0.1", "10.0.0.2", "10.0.0.3");

    controller.applySlice(new ObjectName("default", "reviews-abc"), null);
    assertThat(index.endpoints(REVIEWS)).extracting(Endpoint::address).containsExactly("10.0.0.3");
  }

  @Test
  void endpointInTwoSlices_isListedOnce() {
    reviewsWithTwoPods();
    apply(slice("default", "reviews-zzz", "reviews", List.of("http:9080"), Ep.ready("10.0.0.1", "reviews-1")));
    assertThat(index.endpoints(REVIEWS)).extracting(Endpoint::address).containsExactly("10.0.0.1", "10.0.0.2");
  }

  @Test
  void conditions_mapToHealth() {
    reviewsWithTwoPods();
    apply(pod("default", "reviews-3", List.of("10.0.0.3"), "reviews", "node-a", "app=reviews"));
    apply(slice("default", "reviews-abc", "reviews", List.of("http:9080"),
        Ep.ready("10.0.0.1", "reviews-1"), Ep.notReady("10.0.0.2", "reviews-2"), Ep.terminating("10.0.0.3", "reviews-3")));

    assertThat(index.endpoints(REVIEWS)).extracting(Endpoint::address, Endpoint::health).containsExactly(
        org.assertj.core.groups.Tuple.tuple("10.0.0.1", Endpoint.Health.HEALTHY),
        org.assertj.core.groups.Tuple.tuple("10.0.0.2", Endpoint.Health.UNHEALTHY),
        org.assertj.core.groups.Tuple.tuple("10.0.0.3", Endpoint.Health.TERMINATING));
  }

  @Test
  void readinessChange_isIncrementalEds() {
    reviewsWithTwoPods();
    apply(slice("default", "reviews-abc", "reviews", List.of("http:9080"),
        Ep.ready("10.0.0.1", "reviews-1"), Ep.notReady("10.0.0.2", "reviews-2")));

    assertThat(pushes).singleElement().satisfies(p -> {
      assertThat(p.full()).isFalse();
      assertThat(p.reasons()).containsExactly(TriggerReason.ENDPOINT);
      assertThat(p.configsUpdated()).containsExactly(REVIEWS_ENDPOINTS);
    });
  }

  @Test
  void scalingUpWithSameServiceAccount_isIncremental_butNewServiceAccountIsFull() {
    reviewsWithTwoPods();
    apply(pod("default", "reviews-3", List.of("10.0.0.3"), "reviews", "node-a", "app=reviews"));
    apply(slice("default", "reviews-abc", "reviews", List.of("http:9080"), Ep.ready("10.0.0.1", "reviews-1"),
        Ep.ready("10.0.0.2", "reviews-2"), Ep.ready("10.0.0.3", "reviews-3")));
    assertThat(pushes).singleElement().satisfies(p -> assertThat(p.full()).isFalse());

    pushes.clear();
    apply(pod("default", "reviews-4", List.of("10.0.0.4"), "reviews-canary", "node-a", "app=reviews"));
    apply(slice("default", "reviews-def", "reviews", List.of("http:9080"), Ep.ready("10.0.0.4", "reviews-4")));
    assertThat(pushes).singleElement().satisfies(p -> {
      assertThat(p.full()).isTrue();
      assertThat(p.configsUpdated()).contains(REVIEWS_SERVICE);
    });
  }

  @Test
  void firstEndpointsOfAService_needAFullPush() {
    apply(pod("default", "reviews-1", List.of("10.0.0.1"), "reviews", "node-a", "app=reviews"));
    apply(clusterIp("default", "reviews", "10.96.0.10", "http:9080"));
    pushes.clear();
    apply(slice("default", "reviews-abc", "reviews", List.of("http:9080"), Ep.ready("10.0.0.1", "reviews-1")));
    assertThat(pushes).singleElement().satisfies(p -> assertThat(p.full()).isTrue());
  }

  @Test
  void podLabelChange_rederivesItsEndpoints_asIncrementalEds() {
    reviewsWithTwoPods();
    apply(pod("default", "reviews-1", List.of("10.0.0.1"), "reviews", "node-a", "app=reviews", "version=v3"));

    assertThat(index.endpoints(REVIEWS)).filteredOn(e -> e.address().equals("10.0.0.1"))
        .allSatisfy(e -> assertThat(e.labels()).containsEntry("version", "v3"));
    assertThat(pushes).singleElement().satisfies(p -> {
      assertThat(p.full()).isFalse();
      assertThat(p.configsUpdated()).containsExactly(REVIEWS_ENDPOINTS);
    });
    assertThat(podChanges).last().satisfies(p -> assertThat(p.labels()).containsEntry("version", "v3"));
  }

  @Test
  void podUpdateThatChangesNothingRelevant_pushesNothing() {
    reviewsWithTwoPods();
    Pod same = new PodBuilder(pod("default", "reviews-1", List.of("10.0.0.1"), "reviews", "node-a",
        "app=reviews", "version=v1")).editMetadata().withResourceVersion("42").endMetadata().build();
    apply(same);
    assertThat(pushes).isEmpty();
  }

  @Test
  void endpointBeforeItsPod_waitsForThePod() {
    apply(clusterIp("default", "reviews", "10.96.0.10", "http:9080"));
    apply(slice("default", "reviews-abc", "reviews", List.of("http:9080"), Ep.ready("10.0.0.1", "reviews-1")));
    assertThat(index.endpoints(REVIEWS)).isEmpty();

    pushes.clear();
    apply(pod("default", "reviews-1", List.of("10.0.0.1"), "reviews", "node-a", "app=reviews"));
    assertThat(index.endpoints(REVIEWS)).extracting(Endpoint::serviceAccount)
        .containsExactly("spiffe://cluster.local/ns/default/sa/reviews");
    assertThat(pushes).isNotEmpty();
  }

  @Test
  void endpointWithoutTargetRef_isMatchedToAPodByIp_orKeptBare() {
    apply(pod("default", "vm-like", List.of("10.0.0.9"), "legacy", "node-a", "app=legacy"));
    apply(clusterIp("default", "reviews", "10.96.0.10", "http:9080"));
    apply(slice("default", "manual", "reviews", List.of("http:9080"),
        new Ep(List.of("10.0.0.9"), null, true, true, false), new Ep(List.of("192.0.2.1"), null, true, true, false)));

    assertThat(index.endpoints(REVIEWS)).extracting(Endpoint::address, Endpoint::serviceAccount).containsExactly(
        org.assertj.core.groups.Tuple.tuple("10.0.0.9", "spiffe://cluster.local/ns/default/sa/legacy"),
        org.assertj.core.groups.Tuple.tuple("192.0.2.1", ""));
  }

  @Test
  void dualStackSlices_giveEndpointsForBothFamilies() {
    apply(pod("default", "reviews-1", List.of("10.0.0.1", "fd00::1"), "reviews", "node-a", "app=reviews"));
    apply(clusterIp("default", "reviews", "10.96.0.10", "http:9080"));
    apply(slice("default", "reviews-v4", "reviews", "IPv4", List.of("http:9080"), Ep.ready("10.0.0.1", "reviews-1")));
    apply(slice("default", "reviews-v6", "reviews", "IPv6", List.of("http:9080"), Ep.ready("fd00::1", "reviews-1")));

    assertThat(index.endpoints(REVIEWS)).extracting(Endpoint::address).containsExactlyInAnyOrder("10.0.0.1", "fd00::1");
  }

  @Test
  void oddObjects_areSkipped() {
    apply(clusterIp("default", "reviews", "10.96.0.10", "http:9080"));
    apply(slice("default", "unlabelled", null, List.of("http:9080"), Ep.ready("10.0.0.1", null)));
    apply(slice("default", "portless", "reviews", List.of(), Ep.ready("10.0.0.1", null)));
    apply(slice("default", "fqdn", "reviews", "FQDN", List.of("http:9080"),
        new Ep(List.of("db.example.com"), null, true, true, false)));
    apply(pod("default", "pending", List.of(), "default", "", "app=reviews"));
    apply(service("""
        apiVersion: v1
        kind: Service
        metadata: {name: noports, namespace: default}
        spec: {clusterIP: None}
        """));

    assertThat(index.endpoints(REVIEWS)).isEmpty();
    assertThat(controller.services()).extracting(s -> s.hostname()).containsExactly(REVIEWS.hostname());
  }

  @Test
  void mcsSlices_areIgnored() {
    apply(clusterIp("default", "reviews", "10.96.0.10", "http:9080"));
    EndpointSlice mcs = new io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder(
        slice("default", "imported", "reviews", List.of("http:9080"), new Ep(List.of("10.1.0.1"), null, true, true, false)))
        .editMetadata().addToLabels("multicluster.kubernetes.io/service-name", "reviews").endMetadata().build();
    apply(mcs);
    assertThat(index.endpoints(REVIEWS)).isEmpty();
  }

  @Test
  void headlessTcpEndpointChange_isFullPush_butHeadlessHttpStaysIncremental() {
    apply(pod("default", "db-0", List.of("10.0.1.1"), "db", "node-a", "app=db"));
    apply(pod("default", "db-1", List.of("10.0.1.2"), "db", "node-a", "app=db"));
    apply(service("""
        apiVersion: v1
        kind: Service
        metadata: {name: db, namespace: default}
        spec: {clusterIP: None, selector: {app: db}, ports: [{name: tcp-db, port: 5432}]}
        """));
    apply(slice("default", "db-abc", "db", List.of("tcp-db:5432"), Ep.ready("10.0.1.1", "db-0")));
    pushes.clear();
    apply(slice("default", "db-abc", "db", List.of("tcp-db:5432"), Ep.ready("10.0.1.1", "db-0"), Ep.ready("10.0.1.2", "db-1")));
    assertThat(pushes).singleElement().satisfies(p -> {
      assertThat(p.full()).isTrue();
      assertThat(p.reasons()).containsExactly(TriggerReason.HEADLESS_ENDPOINT);
    });

    apply(service("""
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: default}
        spec: {clusterIP: None, selector: {app: db}, ports: [{name: http, port: 80}]}
        """));
    apply(slice("default", "web-abc", "web", List.of("http:80"), Ep.ready("10.0.1.1", "db-0")));
    pushes.clear();
    apply(slice("default", "web-abc", "web", List.of("http:80"), Ep.ready("10.0.1.1", "db-0"), Ep.ready("10.0.1.2", "db-1")));
    assertThat(pushes).singleElement().satisfies(p -> assertThat(p.full()).isFalse());
  }

  @Test
  void externalName_hasTheExternalNameAsItsEndpoint() {
    apply(service("""
        apiVersion: v1
        kind: Service
        metadata: {name: search, namespace: default}
        spec: {type: ExternalName, externalName: search.example.com, ports: [{name: https, port: 443}]}
        """));
    assertThat(index.endpoints(new ServiceKey("search.default.svc.cluster.local", "default")))
        .extracting(Endpoint::address, Endpoint::port, Endpoint::servicePortName)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("search.example.com", 443, "https"));
  }

  @Test
  void hiddenService_isKeptButNeverPushed() {
    apply(service("""
        apiVersion: v1
        kind: Service
        metadata: {name: hidden, namespace: default, annotations: {networking.istio.io/exportTo: "~"}}
        spec: {clusterIP: 10.96.0.99, ports: [{name: http, port: 80}]}
        """));
    assertThat(controller.services()).hasSize(1);
    assertThat(pushes).isEmpty();
  }

  @Test
  void nodeLocalityChange_rederivesEndpointsOfItsPods() {
    controller.applyNode("node-a", node("node-a", "topology.kubernetes.io/region=eu"));
    reviewsWithTwoPods();
    controller.applyNode("node-a", node("node-a", "topology.kubernetes.io/region=us"));
    assertThat(index.endpoints(REVIEWS)).allSatisfy(e -> assertThat(e.locality().region()).isEqualTo("us"));
    assertThat(pushes).singleElement().satisfies(p -> assertThat(p.full()).isFalse());
  }

  @Test
  void podLocalityLabel_overridesTheNode() {
    controller.applyNode("node-a", node("node-a", "topology.kubernetes.io/region=eu"));
    apply(pod("default", "reviews-1", List.of("10.0.0.1"), "reviews", "node-a", "app=reviews",
        "istio-locality=ap.ap-2.r9"));
    assertThat(controller.matcher().podFor(KubeObjects.sidecar("default", "reviews-1", "10.0.0.1")))
        .hasValueSatisfying(p -> assertThat(p.locality()).isEqualTo(new Locality("ap", "ap-2", "r9")));
  }

  @Test
  void beforeSync_nothingIsPushed_andSyncEndsWithOneFullPush() {
    KubeController fresh = new KubeController(index, pushes::add, KubeServiceRegistry.Options.defaults());
    var svc = clusterIp("default", "reviews", "10.96.0.10", "http:9080");
    fresh.applyService(ObjectName.of(svc), svc);
    assertThat(pushes).isEmpty();
    assertThat(fresh.synced()).isFalse();

    Pod p = pod("default", "reviews-1", List.of("10.0.0.1"), "reviews", "node-a", "app=reviews");
    fresh.sync(List.of(), List.of(), List.of(p), List.of(svc),
        List.of(slice("default", "reviews-abc", "reviews", List.of("http:9080"), Ep.ready("10.0.0.1", "reviews-1"))));
    assertThat(fresh.synced()).isTrue();
    assertThat(index.endpoints(REVIEWS)).hasSize(1);
    assertThat(pushes).singleElement().satisfies(r -> {
      assertThat(r.full()).isTrue();
      assertThat(r.configsUpdated()).containsExactly(REVIEWS_SERVICE);
    });
  }

  @Test
  void namespaceLabels_areKept() {
    controller.applyNamespace("team-a", new io.fabric8.kubernetes.api.model.NamespaceBuilder()
        .withNewMetadata().withName("team-a").withLabels(Map.of("istio-injection", "enabled")).endMetadata().build());
    assertThat(controller.namespaceLabels("team-a")).containsEntry("istio-injection", "enabled");
    controller.applyNamespace("team-a", null);
    assertThat(controller.namespaceLabels("team-a")).isEmpty();
  }
}
