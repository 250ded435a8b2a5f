package dev.istiod.configstore.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.istiod.api.networking.v1alpha3.DestinationRule;
import dev.istiod.api.networking.v1alpha3.VirtualService;
import dev.istiod.configstore.KindRegistry;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigEvent;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.Kind;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Kubernetes config store against fabric8's mock apiserver (CRUD mode, real informers). */
@EnableKubernetesMockClient(crud = true)
class KubeConfigStoreTest {
  private static final ConfigKey REVIEWS = new ConfigKey(Kind.VIRTUAL_SERVICE, "bookinfo", "reviews");

  KubernetesMockServer server;
  KubernetesClient client;

  private KubeTestCluster cluster;
  private KubeConfigStore store;
  private final List<ConfigEvent> events = new CopyOnWriteArrayList<>();
  private final Set<String> eventThreads = ConcurrentHashMap.newKeySet();

  @BeforeEach
  void setUp() {
    cluster = new KubeTestCluster(client);
  }

  @AfterEach
  void tearDown() {
    if (store != null) {
      store.close();
    }
  }

  private KubeConfigStore startStore() {
    store = new KubeConfigStore(client, KindRegistry.istio());
    store.addHandler(e -> {
      events.add(e);
      eventThreads.add(Thread.currentThread().getName());
    });
    store.start();
    await().atMost(Duration.ofSeconds(30)).until(store::hasSynced);
    return store;
  }

  static String reviews(int w1, int w2) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
          namespace: bookinfo
          labels: {app: reviews}
          annotations: {owner: team-a}
        spec:
          hosts: [reviews]
          http:
          - timeout: 5s
            route:
            - {destination: {host: reviews, subset: v1}, weight: %d}
            - {destination: {host: reviews, subset: v2}, weight: %d}
        """.formatted(w1, w2);
  }

  private List<String> eventSummary() {
    return events.stream().map(e -> e.type() + " " + e.key()).toList();
  }

  @Test
  void objectsPresentAtStart_areLoadedBeforeHasSynced() {
    cluster.install(Kind.VIRTUAL_SERVICE, Kind.DESTINATION_RULE);
    cluster.apply(Kind.VIRTUAL_SERVICE, reviews(50, 50));
    cluster.apply(Kind.DESTINATION_RULE, """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: bookinfo}
        spec: {host: reviews, subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]}
        """);

    startStore();

    assertThat(store.list(Kind.VIRTUAL_SERVICE)).hasSize(1);
    assertThat(store.list(Kind.DESTINATION_RULE, "bookinfo").getFirst().spec(DestinationRule.class).getSubsetsCount())
        .isEqualTo(2);
    assertThat(eventSummary()).containsExactlyInAnyOrder(
        "ADD VirtualService/bookinfo/reviews", "ADD DestinationRule/bookinfo/reviews");
    assertThat(store.watchedVersions()).containsEntry(Kind.VIRTUAL_SERVICE, "v1").containsEntry(Kind.DESTINATION_RULE, "v1");
  }

  @Test
  void decodedConfig_carriesTheApiserversMetadata() {
    cluster.install(Kind.VIRTUAL_SERVICE);
    startStore();

    var written = cluster.apply(Kind.VIRTUAL_SERVICE, reviews(50, 50));

    await().until(() -> store.get(REVIEWS).isPresent());
    Config c = store.get(REVIEWS).orElseThrow();
    assertThat(c.meta().resourceVersion()).isEqualTo(written.getMetadata().getResourceVersion());
    assertThat(c.meta().generation()).isEqualTo(written.getMetadata().getGeneration());
    assertThat(c.meta().labels()).containsEntry("app", "reviews");
    assertThat(c.meta().annotations()).containsEntry("owner", "team-a");
    assertThat(c.meta().creationTimestamp())
        .isEqualTo(Instant.parse(written.getMetadata().getCreationTimestamp()));
    assertThat(c.meta().origin()).isEqualTo("kubernetes");
    VirtualService vs = c.spec(VirtualService.class);
    assertThat(vs.getHttp(0).getTimeout().getSeconds()).isEqualTo(5);
  }

  @Test
  void addUpdateDelete_deliverEventsWithOldAndNew_onOneThread() {
    cluster.install(Kind.VIRTUAL_SERVICE, Kind.DESTINATION_RULE);
    startStore();

    cluster.apply(Kind.VIRTUAL_SERVICE, reviews(50, 50));
    await().until(() -> events.size() == 1);
    cluster.apply(Kind.VIRTUAL_SERVICE, reviews(80, 20));
    await().until(() -> events.size() == 2);
    cluster.delete(Kind.VIRTUAL_SERVICE, "bookinfo", "reviews");
    await().until(() -> events.size() == 3);

    assertThat(eventSummary()).containsExactly("ADD VirtualService/bookinfo/reviews",
        "UPDATE VirtualService/bookinfo/reviews", "DELETE VirtualService/bookinfo/reviews");
    ConfigEvent update = events.get(1);
    assertThat(weight(update.oldConfig())).isEqualTo(50);
    assertThat(weight(update.newConfig())).isEqualTo(80);
    assertThat(events.get(2).oldConfig().spec(VirtualService.class)).isEqualTo(update.newConfig().spec());
    assertThat(store.get(REVIEWS)).isEmpty();
    assertThat(eventThreads).containsExactly("kube-config-queue");
  }

  @Test
  void invalidObject_isReportedAndSkipped_keepingTheLastValidVersion() {
    cluster.install(Kind.VIRTUAL_SERVICE);
    startStore();
    cluster.apply(Kind.VIRTUAL_SERVICE, reviews(50, 50));
    await().until(() -> store.get(REVIEWS).isPresent());

    // A negative weight: the webhook would refuse this edit; with it off, istiod must not apply it.
    cluster.apply(Kind.VIRTUAL_SERVICE, reviews(50, -40));
    await().until(() -> !store.errors().isEmpty());

    assertThat(weight(store.get(REVIEWS).orElseThrow())).isEqualTo(50);
    assertThat(store.errors()).singleElement().satisfies(e -> {
      assertThat(e.object().toString()).isEqualTo("VirtualService bookinfo/reviews");
      assertThat(e.message()).contains("weight");
    });
    assertThat(eventSummary()).containsExactly("ADD VirtualService/bookinfo/reviews");

    cluster.apply(Kind.VIRTUAL_SERVICE, reviews(60, 40));
    await().until(() -> store.errors().isEmpty());
    assertThat(weight(store.get(REVIEWS).orElseThrow())).isEqualTo(60);
    assertThat(eventSummary()).containsExactly("ADD VirtualService/bookinfo/reviews", "UPDATE VirtualService/bookinfo/reviews");
  }

  @Test
  void invalidNewObject_isNotStored_andItsErrorGoesWithIt() {
    cluster.install(Kind.VIRTUAL_SERVICE);
    startStore();

    cluster.apply(Kind.VIRTUAL_SERVICE, reviews(10, -10));
    await().until(() -> !store.errors().isEmpty());
    assertThat(store.get(REVIEWS)).isEmpty();

    cluster.delete(Kind.VIRTUAL_SERVICE, "bookinfo", "reviews");
    await().until(() -> store.errors().isEmpty());
    assertThat(events).isEmpty();
  }

  @Test
  void undecodableSpec_isReportedWhileOtherConfigsKeepFlowing() {
    cluster.install(Kind.VIRTUAL_SERVICE);
    startStore();

    cluster.apply(Kind.VIRTUAL_SERVICE, """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: broken, namespace: bookinfo}
        spec: {hosts: [broken], http: [{timeout: soon}]}
        """);
    cluster.apply(Kind.VIRTUAL_SERVICE, reviews(50, 50));

    await().until(() -> store.get(REVIEWS).isPresent() && !store.errors().isEmpty());
    assertThat(store.errors()).singleElement()
        .satisfies(e -> assertThat(e.object().name()).isEqualTo("broken"));
    assertThat(store.list(Kind.VIRTUAL_SERVICE)).extracting(Config::name).containsExactly("reviews");
  }

  @Test
  void unknownSpecFields_ofANewerApi_areIgnored() {
    cluster.install(Kind.VIRTUAL_SERVICE);
    startStore();

    cluster.apply(Kind.VIRTUAL_SERVICE, """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: bookinfo}
        spec:
          hosts: [reviews]
          someFutureField: {enabled: true}
          http: [{route: [{destination: {host: reviews}}]}]
        """);

    await().until(() -> store.get(REVIEWS).isPresent());
    assertThat(store.errors()).isEmpty();
  }

  @Test
  void missingCrd_startsCleanly_andTheKindIsReadOnceTheCrdAppears() {
    startStore();
    assertThat(store.watchedVersions()).isEmpty();

    cluster.install(Kind.VIRTUAL_SERVICE);
    await().until(() -> store.watchedVersions().containsKey(Kind.VIRTUAL_SERVICE));
    cluster.apply(Kind.VIRTUAL_SERVICE, reviews(50, 50));

    await().until(() -> store.get(REVIEWS).isPresent());
    assertThat(store.hasSynced()).isTrue();
  }

  @Test
  void crdNotYetEstablished_isNotWatched() {
    startStore();
    client.apiextensions().v1().customResourceDefinitions().resource(cluster.crd(Kind.GATEWAY)).create();
    cluster.install(Kind.VIRTUAL_SERVICE); // a later event, so the Gateway CRD was seen before it

    await().until(() -> store.watchedVersions().containsKey(Kind.VIRTUAL_SERVICE));
    assertThat(store.watchedVersions()).doesNotContainKey(Kind.GATEWAY);

    cluster.established(KubeConfigStore.crdName(Kind.GATEWAY));
    await().until(() -> store.watchedVersions().containsKey(Kind.GATEWAY));
  }

  @Test
  void removedCrd_deletesTheKindsConfigs() {
    cluster.install(Kind.VIRTUAL_SERVICE);
    cluster.apply(Kind.VIRTUAL_SERVICE, reviews(50, 50));
    startStore();

    cluster.uninstall(Kind.VIRTUAL_SERVICE);

    await().until(() -> store.get(REVIEWS).isEmpty());
    assertThat(eventSummary()).containsExactly("ADD VirtualService/bookinfo/reviews", "DELETE VirtualService/bookinfo/reviews");
    assertThat(store.watchedVersions()).isEmpty();
  }

  @Test
  void olderCrdWithoutV1_isReadAtItsOwnStorageVersion() {
    // An Istio 1.21 cluster: networking kinds serve v1alpha3 (storage) and v1beta1 only.
    CustomResourceDefinition crd = cluster.crd(Kind.DESTINATION_RULE);
    crd.getSpec().getVersions().removeIf(v -> v.getName().equals("v1"));
    crd.getSpec().getVersions().forEach(v -> v.setStorage(v.getName().equals("v1alpha3")));
    cluster.install(crd);
    cluster.apply(Kind.DESTINATION_RULE, """
        apiVersion: networking.istio.io/v1alpha3
        kind: DestinationRule
        metadata: {name: reviews, namespace: bookinfo}
        spec: {host: reviews}
        """);

    startStore();

    assertThat(store.watchedVersions()).containsEntry(Kind.DESTINATION_RULE, "v1alpha3");
    assertThat(store.list(Kind.DESTINATION_RULE)).singleElement()
        .satisfies(c -> assertThat(c.spec(DestinationRule.class).getHost()).isEqualTo("reviews"));
  }

  private static int weight(Config vs) {
    return vs.spec(VirtualService.class).getHttp(0).getRoute(0).getWeight();
  }
}
