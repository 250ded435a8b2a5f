package dev.istiod.serviceregistry.serviceentry;

import static dev.istiod.serviceregistry.serviceentry.Fixtures.serviceEntry;
import static dev.istiod.serviceregistry.serviceentry.Fixtures.sidecar;
import static dev.istiod.serviceregistry.serviceentry.Fixtures.workloadEntry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.istiod.model.ConfigKey;
import dev.istiod.model.Endpoint;
import dev.istiod.model.EndpointIndex;
import dev.istiod.model.Kind;
import dev.istiod.model.Locality;
import dev.istiod.model.PushRequest;
import dev.istiod.model.ServiceKey;
import dev.istiod.model.ServiceTarget;
import dev.istiod.model.TriggerReason;
import dev.istiod.serviceregistry.WorkloadInstance;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** ServiceEntry workloadSelectors over another registry's workloads (Kubernetes Pods), as upstream. */
class PodSelectionTest {
  static final ServiceKey API = new ServiceKey("api.shop.internal", "shop");
  static final String SELECTOR_SE = """
      {"hosts": ["api.shop.internal"], "location": "MESH_INTERNAL", "resolution": "STATIC",
       "ports": [{"number": 80, "name": "http", "protocol": "HTTP", "targetPort": 8080},
                 {"number": 90, "name": "grpc", "protocol": "GRPC"}],
       "workloadSelector": {"labels": {"app": "api"}}}""";

  final FakeConfigStore store = new FakeConfigStore();
  final FakeWorkloads pods = new FakeWorkloads();
  final EndpointIndex index = new EndpointIndex();
  final List<PushRequest> pushes = new CopyOnWriteArrayList<>();
  ServiceEntryRegistry registry;

  @BeforeEach
  void start() {
    registry = new ServiceEntryRegistry(store, index, pushes::add,
        ServiceEntryRegistry.Options.defaults().withExecutor(Runnable::run).withWorkloadInstances(pods));
    registry.start();
    store.apply(serviceEntry("shop", "api", SELECTOR_SE));
  }

  @AfterEach
  void close() {
    registry.close();
  }

  /** A ready Pod as the Kubernetes registry describes it: own labels plus topology labels. */
  static WorkloadInstance pod(String ns, String name, String ip, String... labels) {
    Map<String, String> l = new HashMap<>(Map.of("topology.istio.io/cluster", "Kubernetes"));
    for (String kv : labels) {
      String[] parts = kv.split("=", 2);
      l.put(parts[0], parts[1]);
    }
    return new WorkloadInstance(name, ns, ip, l, "api", new Locality("eu", "eu-1", ""), "",
        "istio".equals(l.get("security.istio.io/tlsMode")) ? Endpoint.TlsMode.ISTIO : Endpoint.TlsMode.DISABLED,
        "api", Map.of("http", 8000));
  }

  List<String> addresses() {
    return index.endpoints(API).stream().map(Endpoint::address).distinct().toList();
  }

  PushRequest onlyPush() {
    assertThat(pushes).hasSize(1);
    return pushes.get(0);
  }

  @Test
  void matchingPod_becomesEndpointsOfEveryPort_withItsIdentityLabelsAndLocality() {
    pushes.clear();

    pods.put(pod("shop", "api-1", "10.1.0.1", "app=api", "security.istio.io/tlsMode=istio"));

    assertThat(index.endpoints(API)).hasSize(2).allSatisfy(ep -> {
      assertThat(ep.address()).isEqualTo("10.1.0.1");
      assertThat(ep.serviceAccount()).isEqualTo("spiffe://cluster.local/ns/shop/sa/api");
      assertThat(ep.labels()).containsEntry("app", "api").containsEntry("topology.istio.io/cluster", "Kubernetes");
      assertThat(ep.locality()).isEqualTo(new Locality("eu", "eu-1", ""));
      assertThat(ep.tlsMode()).isEqualTo(Endpoint.TlsMode.ISTIO);
      assertThat(ep.workloadName()).isEqualTo("api");
      assertThat(ep.health()).isEqualTo(Endpoint.Health.HEALTHY);
    });
    // The Pod's container port named like the service port wins; otherwise targetPort, else the number.
    assertThat(index.endpoints(API)).extracting(Endpoint::servicePortName, Endpoint::port)
        .containsExactlyInAnyOrder(tuple("http", 8000),
            tuple("grpc", 90));
    PushRequest push = onlyPush();
    assertThat(push.full()).isTrue(); // a new service account, as the endpoint index classes it
    assertThat(push.reasons()).containsExactly(TriggerReason.ENDPOINT);
  }

  @Test
  void podWithoutTlsModeLabel_isPlaintext_evenWithAServiceAccount() {
    pods.put(pod("shop", "api-1", "10.1.0.1", "app=api"));

    assertThat(index.endpoints(API)).extracting(Endpoint::tlsMode).containsOnly(Endpoint.TlsMode.DISABLED);
  }

  @Test
  void podRelabelledOutOfTheSelector_endpointsRemoved_incrementally() {
    pods.put(pod("shop", "api-1", "10.1.0.1", "app=api"));
    pods.put(pod("shop", "api-2", "10.1.0.2", "app=api"));
    pushes.clear();

    pods.put(pod("shop", "api-2", "10.1.0.2", "app=retired"));

    assertThat(addresses()).containsExactly("10.1.0.1");
    PushRequest push = onlyPush();
    assertThat(push.full()).isFalse();
    assertThat(push.configsUpdated()).containsExactly(new ConfigKey(Kind.ENDPOINTS, "shop", API.hostname()));
  }

  @Test
  void podInAnotherNamespace_notSelected() {
    pushes.clear();

    pods.put(pod("other", "api-x", "10.1.0.9", "app=api"));

    assertThat(index.endpoints(API)).isEmpty();
    assertThat(pushes).isEmpty();
  }

  @Test
  void podIpChange_incrementalEds() {
    pods.put(pod("shop", "api-1", "10.1.0.1", "app=api"));
    pushes.clear();

    pods.put(pod("shop", "api-1", "10.1.0.7", "app=api"));

    assertThat(addresses()).containsExactly("10.1.0.7");
    PushRequest push = onlyPush();
    assertThat(push.full()).isFalse();
    assertThat(push.configsUpdated()).containsExactly(new ConfigKey(Kind.ENDPOINTS, "shop", API.hostname()));
  }

  @Test
  void podGone_incrementalWhileOthersRemain_fullWhenLastGoes() {
    pods.put(pod("shop", "api-1", "10.1.0.1", "app=api"));
    pods.put(pod("shop", "api-2", "10.1.0.2", "app=api"));
    pushes.clear();

    pods.remove("shop", "api-2");

    assertThat(addresses()).containsExactly("10.1.0.1");
    assertThat(onlyPush().full()).isFalse();
    pushes.clear();

    pods.remove("shop", "api-1");

    assertThat(index.endpoints(API)).isEmpty();
    assertThat(onlyPush().full()).isTrue(); // the set of service accounts changed
  }

  @Test
  void unchangedPod_orUnselectedPod_noPush() {
    pods.put(pod("shop", "api-1", "10.1.0.1", "app=api"));
    pushes.clear();

    pods.put(pod("shop", "api-1", "10.1.0.1", "app=api"));
    pods.put(pod("shop", "db-1", "10.1.0.5", "app=db"));

    assertThat(pushes).isEmpty();
  }

  @Test
  void podsAndWorkloadEntries_bothBackTheEntry() {
    pods.put(pod("shop", "api-1", "10.1.0.1", "app=api"));
    store.apply(workloadEntry("shop", "vm-1", """
        {"address": "10.2.0.1", "serviceAccount": "api", "labels": {"app": "api"}}"""));

    assertThat(addresses()).containsExactlyInAnyOrder("10.1.0.1", "10.2.0.1");
  }

  @Test
  void entryAddedAfterItsPods_selectsThem() {
    pods.put(pod("shop", "late-1", "10.1.1.1", "app=late"));

    store.apply(serviceEntry("shop", "late", SELECTOR_SE.replace("api.shop", "late.shop").replace("\"api\"", "\"late\"")));

    assertThat(index.endpoints(new ServiceKey("late.shop.internal", "shop")))
        .extracting(Endpoint::address).containsOnly("10.1.1.1");
  }

  @Test
  void podsKnownBeforeStart_areSelectedByTheInitialSync() {
    FakeConfigStore otherStore = new FakeConfigStore();
    otherStore.apply(serviceEntry("shop", "api", SELECTOR_SE));
    FakeWorkloads early = new FakeWorkloads();
    early.put(pod("shop", "api-1", "10.1.0.1", "app=api"));
    EndpointIndex otherIndex = new EndpointIndex();
    try (ServiceEntryRegistry r = new ServiceEntryRegistry(otherStore, otherIndex, p -> { },
        ServiceEntryRegistry.Options.defaults().withExecutor(Runnable::run).withWorkloadInstances(early))) {
      r.start();

      assertThat(otherIndex.endpoints(API)).extracting(Endpoint::address).containsOnly("10.1.0.1");
    }
  }

  @Test
  void dnsEntryWithSelector_podChange_fullPush() {
    store.apply(serviceEntry("shop", "api", SELECTOR_SE.replace("\"STATIC\"", "\"DNS\"")));
    pods.put(pod("shop", "api-1", "10.1.0.1", "app=api"));
    pushes.clear();

    pods.put(pod("shop", "api-2", "10.1.0.2", "app=api"));

    assertThat(onlyPush().full()).isTrue(); // DNS endpoints travel inside CDS
  }

  @Test
  void selectedPodsProxy_implementsTheEntry_onItsContainerPort() {
    pods.put(pod("shop", "api-1", "10.1.0.1", "app=api"));

    List<ServiceTarget> targets = registry.serviceTargets(sidecar("shop", List.of("10.1.0.1"), Map.of()));

    assertThat(targets).extracting(t -> t.port().name(), ServiceTarget::targetPort)
        .containsExactly(tuple("http", 8000),
            tuple("grpc", 90));
  }
}
