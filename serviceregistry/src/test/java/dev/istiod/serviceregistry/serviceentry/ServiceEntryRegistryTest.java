package dev.istiod.serviceregistry.serviceentry;

import static dev.istiod.serviceregistry.serviceentry.Fixtures.serviceEntry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.Endpoint;
import dev.istiod.model.EndpointIndex;
import dev.istiod.model.Kind;
import dev.istiod.model.Locality;
import dev.istiod.model.Protocol;
import dev.istiod.model.PushRequest;
import dev.istiod.model.Resolution;
import dev.istiod.model.Service;
import dev.istiod.model.ServiceKey;
import dev.istiod.model.ServicePort;
import dev.istiod.model.TriggerReason;
import dev.istiod.model.Visibility;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** ServiceEntry → services, endpoints and push requests. WorkloadEntry selection is in its own test. */
class ServiceEntryRegistryTest {
  final FakeConfigStore store = new FakeConfigStore();
  final EndpointIndex index = new EndpointIndex();
  final List<PushRequest> pushes = new CopyOnWriteArrayList<>();
  ServiceEntryRegistry registry;

  @BeforeEach
  void start() {
    registry = new ServiceEntryRegistry(store, index, pushes::add,
        ServiceEntryRegistry.Options.defaults().withExecutor(Runnable::run));
    registry.start();
  }

  @AfterEach
  void close() {
    registry.close();
  }

  static final String STATIC_SE = """
      {"hosts": ["api.example.com"], "addresses": ["10.1.0.1/32"], "location": "MESH_INTERNAL",
       "resolution": "STATIC", "subjectAltNames": ["spiffe://example/sa"],
       "ports": [{"number": 80, "name": "http", "protocol": "HTTP", "targetPort": 8080},
                 {"number": 9000, "name": "tcp", "protocol": "TCP"}],
       "endpoints": [
         {"address": "1.1.1.1", "ports": {"http": 8081}, "serviceAccount": "api",
          "labels": {"version": "v1", "security.istio.io/tlsMode": "istio"},
          "locality": "us-east/zone-a", "weight": 3, "network": "net1"},
         {"address": "2.2.2.2", "labels": {"version": "v2"}}]}""";

  @Test
  void staticEntry_becomesServiceWithEveryAttribute() {
    store.apply(serviceEntry("shop", "api", STATIC_SE));

    assertThat(registry.services()).containsExactly(new Service("api.example.com", "shop", List.of("10.1.0.1"),
        List.of(new ServicePort("http", 80, Protocol.HTTP, 8080), new ServicePort("tcp", 9000, Protocol.TCP, 0)),
        Resolution.CLIENT_SIDE_LB, false, Visibility.PUBLIC, Map.of(), List.of("spiffe://example/sa"),
        Service.Registry.SERVICE_ENTRY, new ConfigKey(Kind.SERVICE_ENTRY, "shop", "api")));
  }

  @Test
  void staticEntry_endpointPerEndpointAndPort_withOverridesAndIdentity() {
    store.apply(serviceEntry("shop", "api", STATIC_SE));

    List<Endpoint> eps = index.endpoints(new ServiceKey("api.example.com", "shop"));
    assertThat(eps).extracting(Endpoint::address, Endpoint::port, Endpoint::servicePortName).containsExactly(
        tuple("1.1.1.1", 8081, "http"), // endpoint's own port wins
        tuple("1.1.1.1", 9000, "tcp"), // no targetPort: the port number
        tuple("2.2.2.2", 8080, "http"), // the SE port's targetPort
        tuple("2.2.2.2", 9000, "tcp"));
    Endpoint first = eps.get(0);
    assertThat(first.serviceAccount()).isEqualTo("spiffe://cluster.local/ns/shop/sa/api");
    assertThat(first.tlsMode()).isEqualTo(Endpoint.TlsMode.ISTIO);
    assertThat(first.locality()).isEqualTo(new Locality("us-east", "zone-a", ""));
    assertThat(first.weight()).isEqualTo(3);
    assertThat(first.network()).isEqualTo("net1");
    assertThat(first.labels()).containsEntry("version", "v1")
        .containsEntry("topology.kubernetes.io/region", "us-east")
        .containsEntry("topology.kubernetes.io/zone", "zone-a")
        .containsEntry("topology.istio.io/network", "net1");
    Endpoint plain = eps.get(2);
    assertThat(plain.tlsMode()).isEqualTo(Endpoint.TlsMode.DISABLED);
    assertThat(plain.serviceAccount()).isEmpty();
  }

  @Test
  void add_fullPushNamingServicesAndTheEntry() {
    store.apply(serviceEntry("shop", "api", """
        {"hosts": ["a.example.com", "b.example.com"], "resolution": "STATIC",
         "ports": [{"number": 80, "name": "http", "protocol": "HTTP"}],
         "endpoints": [{"address": "1.1.1.1"}]}"""));

    assertThat(pushes).hasSize(1);
    PushRequest push = pushes.get(0);
    assertThat(push.full()).isTrue();
    assertThat(push.reasons()).containsExactly(TriggerReason.SERVICE);
    assertThat(push.configsUpdated()).containsExactlyInAnyOrder(
        new ConfigKey(Kind.SERVICE, "shop", "a.example.com"),
        new ConfigKey(Kind.SERVICE, "shop", "b.example.com"),
        new ConfigKey(Kind.SERVICE_ENTRY, "shop", "api"));
  }

  @Test
  void updateOfEndpointsOnly_staticEntry_incrementalEds() {
    store.apply(serviceEntry("shop", "api", STATIC_SE));
    pushes.clear();

    store.apply(serviceEntry("shop", "api", STATIC_SE.replace("2.2.2.2", "3.3.3.3")));

    assertThat(pushes).containsExactly(pushes.get(0));
    assertThat(pushes.get(0).full()).isFalse();
    assertThat(pushes.get(0).configsUpdated())
        .containsExactly(new ConfigKey(Kind.ENDPOINTS, "shop", "api.example.com"));
    assertThat(index.endpoints(new ServiceKey("api.example.com", "shop")))
        .extracting(Endpoint::address).contains("3.3.3.3").doesNotContain("2.2.2.2");
  }

  @Test
  void updateOfEndpointsOnly_newServiceAccount_fullPush() {
    store.apply(serviceEntry("shop", "api", STATIC_SE));
    pushes.clear();

    store.apply(serviceEntry("shop", "api", STATIC_SE.replace("\"serviceAccount\": \"api\"", "\"serviceAccount\": \"other\"")));

    assertThat(pushes).singleElement().satisfies(p -> {
      assertThat(p.full()).isTrue();
      assertThat(p.configsUpdated()).contains(new ConfigKey(Kind.SERVICE, "shop", "api.example.com"));
    });
  }

  @Test
  void updateThatChangesNothing_noPush() {
    store.apply(serviceEntry("shop", "api", STATIC_SE));
    pushes.clear();

    store.apply(serviceEntry("shop", "api", STATIC_SE));

    assertThat(pushes).isEmpty();
  }

  @Test
  void updateOfTargetPort_fullPush() {
    store.apply(serviceEntry("shop", "api", STATIC_SE));
    pushes.clear();

    store.apply(serviceEntry("shop", "api", STATIC_SE.replace("8080", "8090")));

    assertThat(pushes).singleElement().satisfies(p -> assertThat(p.full()).isTrue());
    assertThat(index.endpoints(new ServiceKey("api.example.com", "shop")))
        .extracting(Endpoint::port).contains(8090).doesNotContain(8080);
  }

  @Test
  void delete_removesServicesAndEndpoints_fullPush() {
    store.apply(serviceEntry("shop", "api", STATIC_SE));
    pushes.clear();

    store.delete(new ConfigKey(Kind.SERVICE_ENTRY, "shop", "api"));

    assertThat(registry.services()).isEmpty();
    assertThat(index.services()).isEmpty();
    assertThat(pushes).singleElement().satisfies(p -> {
      assertThat(p.full()).isTrue();
      assertThat(p.configsUpdated()).containsExactlyInAnyOrder(
          new ConfigKey(Kind.SERVICE, "shop", "api.example.com"), new ConfigKey(Kind.SERVICE_ENTRY, "shop", "api"));
    });
  }

  @Test
  void dnsWithoutEndpoints_eachHostIsItsOwnEndpoint() {
    store.apply(serviceEntry("ext", "apis", """
        {"hosts": ["a.example.com", "b.example.com"], "resolution": "DNS",
         "ports": [{"number": 443, "name": "tls", "protocol": "TLS"},
                   {"number": 80, "name": "http", "protocol": "HTTP", "targetPort": 8080}]}"""));

    assertThat(registry.services()).extracting(Service::hostname, Service::resolution, Service::meshExternal)
        .containsExactly(tuple("a.example.com", Resolution.DNS_LB, true),
            tuple("b.example.com", Resolution.DNS_LB, true));
    assertThat(index.endpoints(new ServiceKey("a.example.com", "ext")))
        .extracting(Endpoint::address, Endpoint::port, Endpoint::tlsMode).containsExactly(
            tuple("a.example.com", 443, Endpoint.TlsMode.DISABLED),
            tuple("a.example.com", 8080, Endpoint.TlsMode.DISABLED));
    assertThat(index.endpoints(new ServiceKey("b.example.com", "ext")))
        .extracting(Endpoint::address).containsOnly("b.example.com");
  }

  @Test
  void dnsRoundRobin_withEndpoints_usesThem() {
    store.apply(serviceEntry("ext", "apis", """
        {"hosts": ["a.example.com"], "resolution": "DNS_ROUND_ROBIN",
         "ports": [{"number": 443, "name": "tls", "protocol": "TLS"}],
         "endpoints": [{"address": "eu.a.example.com"}, {"address": "us.a.example.com"}]}"""));

    assertThat(registry.services()).singleElement()
        .satisfies(s -> assertThat(s.resolution()).isEqualTo(Resolution.DNS_ROUND_ROBIN));
    assertThat(index.endpoints(new ServiceKey("a.example.com", "ext")))
        .extracting(Endpoint::address).containsExactly("eu.a.example.com", "us.a.example.com");
  }

  @Test
  void dnsEndpointChange_fullPush_becauseDnsEndpointsLiveInCds() {
    String se = """
        {"hosts": ["a.example.com"], "resolution": "DNS",
         "ports": [{"number": 443, "name": "tls", "protocol": "TLS"}],
         "endpoints": [{"address": "eu.a.example.com"}, {"address": "us.a.example.com"}]}""";
    store.apply(serviceEntry("ext", "apis", se));
    pushes.clear();

    store.apply(serviceEntry("ext", "apis", se.replace("us.a", "asia.a")));

    assertThat(pushes).singleElement().satisfies(p -> {
      assertThat(p.full()).isTrue();
      assertThat(p.configsUpdated()).contains(new ConfigKey(Kind.SERVICE, "ext", "a.example.com"));
    });
  }

  @Test
  void wildcardDnsHostWithoutEndpoints_servedWithoutEndpoints() {
    store.apply(serviceEntry("ext", "wild", """
        {"hosts": ["*.example.com"], "resolution": "DNS",
         "ports": [{"number": 443, "name": "tls", "protocol": "TLS"}]}"""));

    assertThat(registry.services()).extracting(Service::hostname).containsExactly("*.example.com");
    assertThat(index.services()).isEmpty();
  }

  @Test
  void noneResolution_passthroughWithoutEndpoints() {
    store.apply(serviceEntry("ext", "any", """
        {"hosts": ["*.internal"], "addresses": ["10.0.0.0/8"], "resolution": "NONE",
         "ports": [{"number": 5432, "name": "pg", "protocol": "TCP"}]}"""));

    assertThat(registry.services()).singleElement().satisfies(s -> {
      assertThat(s.resolution()).isEqualTo(Resolution.PASSTHROUGH);
      assertThat(s.addresses()).containsExactly("10.0.0.0/8");
    });
    assertThat(index.services()).isEmpty();
  }

  @Test
  void shortHostnames_areNotExpanded_andNoAddressMeansNone() {
    store.apply(serviceEntry("shop", "short", """
        {"hosts": ["reviews"], "resolution": "DNS", "ports": [{"number": 80, "name": "http", "protocol": "http"}]}"""));

    assertThat(registry.services()).singleElement().satisfies(s -> {
      assertThat(s.hostname()).isEqualTo("reviews");
      assertThat(s.addresses()).isEmpty();
      assertThat(s.ports().get(0).protocol()).isEqualTo(Protocol.HTTP);
    });
  }

  @Test
  void exportTo_fromEntry_orMeshDefault_orEveryone() {
    registry.close();
    pushes.clear();
    MeshConfig mesh = MeshConfig.newBuilder().addDefaultServiceExportTo(".").build();
    registry = new ServiceEntryRegistry(store, index, pushes::add,
        ServiceEntryRegistry.Options.defaults().withMesh(() -> mesh).withExecutor(Runnable::run));
    registry.start();
    String ports = "\"ports\": [{\"number\": 80, \"name\": \"http\", \"protocol\": \"HTTP\"}]";

    store.apply(serviceEntry("a", "explicit", "{\"hosts\": [\"x.com\"], \"exportTo\": [\".\", \"b\"], " + ports + "}"));
    store.apply(serviceEntry("a", "defaulted", "{\"hosts\": [\"y.com\"], " + ports + "}"));

    assertThat(registry.services()).extracting(Service::visibility).containsExactly(
        new Visibility(Set.of(".", "b")), new Visibility(Set.of(".")));
    assertThat(registry.services().get(0).visibility().visibleTo("a", "b")).isTrue();
    assertThat(registry.services().get(0).visibility().visibleTo("a", "c")).isFalse();
  }

  @Test
  void exportTo_emptyWithoutMeshDefault_isPublic() {
    store.apply(serviceEntry("a", "e", """
        {"hosts": ["x.com"], "ports": [{"number": 80, "name": "http", "protocol": "HTTP"}]}"""));

    assertThat(registry.services().get(0).visibility()).isEqualTo(Visibility.PUBLIC);
  }

  @Test
  void servicesAreOrderedByHostnameThenNamespace() {
    String ports = "\"ports\": [{\"number\": 80, \"name\": \"http\", \"protocol\": \"HTTP\"}]";
    store.apply(serviceEntry("z", "one", "{\"hosts\": [\"b.com\", \"a.com\"], " + ports + "}"));
    store.apply(serviceEntry("y", "two", "{\"hosts\": [\"b.com\"], " + ports + "}"));

    assertThat(registry.services()).extracting(Service::key).containsExactly(
        new ServiceKey("a.com", "z"), new ServiceKey("b.com", "y"), new ServiceKey("b.com", "z"));
  }

  @Test
  void sameHostInTwoEntries_olderDefinesService_compatiblePortsMerge_endpointsFromBoth() {
    store.apply(serviceEntry("shop", "newer", Instant.ofEpochSecond(20), """
        {"hosts": ["db.example.com"], "resolution": "STATIC",
         "ports": [{"number": 80, "name": "http", "protocol": "HTTP"}, {"number": 5432, "name": "pg", "protocol": "TCP"}],
         "endpoints": [{"address": "2.2.2.2"}]}"""));
    store.apply(serviceEntry("shop", "older", Instant.ofEpochSecond(10), """
        {"hosts": ["db.example.com"], "resolution": "STATIC",
         "ports": [{"number": 80, "name": "web", "protocol": "HTTP"}],
         "endpoints": [{"address": "1.1.1.1"}]}"""));

    assertThat(registry.services()).singleElement().satisfies(s -> {
      assertThat(s.origin().name()).isEqualTo("older");
      assertThat(s.ports()).extracting(ServicePort::name).containsExactly("web", "pg");
    });
    assertThat(index.endpoints(new ServiceKey("db.example.com", "shop")))
        .extracting(Endpoint::address).containsOnly("1.1.1.1", "2.2.2.2");

    store.delete(new ConfigKey(Kind.SERVICE_ENTRY, "shop", "older"));

    assertThat(registry.services()).singleElement()
        .satisfies(s -> assertThat(s.origin().name()).isEqualTo("newer"));
    assertThat(index.endpoints(new ServiceKey("db.example.com", "shop")))
        .extracting(Endpoint::address).containsOnly("2.2.2.2");
  }

  @Test
  void portWithoutName_isDropped_restOfEntryServes() {
    store.apply(serviceEntry("shop", "api", """
        {"hosts": ["api.example.com"], "resolution": "STATIC",
         "ports": [{"number": 80, "protocol": "HTTP"}, {"number": 443, "name": "https", "protocol": "HTTPS"}],
         "endpoints": [{"address": "1.1.1.1"}]}"""));

    assertThat(registry.services()).singleElement()
        .satisfies(s -> assertThat(s.ports()).extracting(ServicePort::port).containsExactly(443));
    assertThat(index.endpoints(new ServiceKey("api.example.com", "shop")))
        .extracting(Endpoint::port).containsExactly(443);
  }

  @Test
  void unsupportedEntry_isSkipped_othersKeepFlowing() {
    store.apply(serviceEntry("shop", "dynamic", """
        {"hosts": ["dyn.example.com"], "resolution": "DYNAMIC_DNS",
         "ports": [{"number": 80, "name": "http", "protocol": "HTTP"}]}"""));
    store.apply(serviceEntry("shop", "api", STATIC_SE));

    assertThat(registry.services()).extracting(Service::hostname).containsExactly("api.example.com");
  }

  @Test
  void updateToUnservableVersion_keepsLastGoodVersion() {
    store.apply(serviceEntry("shop", "api", STATIC_SE));
    pushes.clear();

    store.apply(serviceEntry("shop", "api", STATIC_SE.replace("\"STATIC\"", "\"DYNAMIC_DNS\"")));

    assertThat(registry.services()).extracting(Service::resolution).containsExactly(Resolution.CLIENT_SIDE_LB);
    assertThat(index.endpoints(new ServiceKey("api.example.com", "shop"))).hasSize(4);
    assertThat(pushes).isEmpty();
  }

  @Test
  void configsPresentBeforeStart_areSyncedAndAnnouncedOnce() {
    FakeConfigStore early = new FakeConfigStore();
    early.apply(serviceEntry("shop", "api", STATIC_SE));
    early.apply(serviceEntry("ext", "apis", """
        {"hosts": ["a.example.com"], "resolution": "DNS", "ports": [{"number": 443, "name": "tls", "protocol": "TLS"}]}"""));
    EndpointIndex freshIndex = new EndpointIndex();
    List<PushRequest> seen = new CopyOnWriteArrayList<>();
    try (var r = new ServiceEntryRegistry(early, freshIndex, seen::add,
        ServiceEntryRegistry.Options.defaults().withExecutor(Runnable::run))) {
      assertThat(r.hasSynced()).isFalse();

      r.start();

      assertThat(r.hasSynced()).isTrue();
      assertThat(r.services()).hasSize(2);
      assertThat(freshIndex.services()).hasSize(2);
      assertThat(seen).singleElement().satisfies(p -> {
        assertThat(p.full()).isTrue();
        assertThat(p.configsUpdated()).contains(new ConfigKey(Kind.SERVICE, "shop", "api.example.com"),
            new ConfigKey(Kind.SERVICE, "ext", "a.example.com"));
      });
    }
  }

  @Test
  void pushConsumerThatThrows_doesNotStopTheRegistry() {
    registry.close();
    registry = new ServiceEntryRegistry(store, index, p -> {
      throw new IllegalStateException("pipeline down");
    }, ServiceEntryRegistry.Options.defaults().withExecutor(Runnable::run));
    registry.start();

    store.apply(serviceEntry("shop", "api", STATIC_SE));

    assertThat(registry.services()).hasSize(1);
  }

  @Test
  void defaultOptions_eventsAppliedOnTheRegistrysOwnThread() {
    FakeConfigStore threaded = new FakeConfigStore();
    EndpointIndex freshIndex = new EndpointIndex();
    List<String> pushThreads = new CopyOnWriteArrayList<>();
    try (var r = new ServiceEntryRegistry(threaded, freshIndex,
        p -> pushThreads.add(Thread.currentThread().getName()))) {
      r.start();
      await().until(r::hasSynced);

      threaded.apply(serviceEntry("shop", "api", STATIC_SE));

      await().untilAsserted(() -> assertThat(r.services()).hasSize(1));
      assertThat(freshIndex.endpoints(new ServiceKey("api.example.com", "shop"))).hasSize(4);
      await().untilAsserted(() -> assertThat(pushThreads).containsExactly("serviceentry-registry"));
    }
  }
}
