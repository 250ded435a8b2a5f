package dev.istiod.serviceregistry.serviceentry;

import static dev.istiod.serviceregistry.serviceentry.Fixtures.serviceEntry;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import dev.istiod.api.networking.v1alpha3.ServiceEntry;
import dev.istiod.api.networking.v1alpha3.ServicePort;
import dev.istiod.api.networking.v1alpha3.WorkloadEntry;
import dev.istiod.api.networking.v1alpha3.WorkloadSelector;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.ConfigMeta;
import dev.istiod.model.Endpoint;
import dev.istiod.model.EndpointIndex;
import dev.istiod.model.Kind;
import dev.istiod.model.Locality;
import dev.istiod.model.PushRequest;
import dev.istiod.model.ServiceKey;
import dev.istiod.serviceregistry.WorkloadInstance;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The work of one event does not grow with the registry: the same event in a registry of 100
 * entries and one of 10,000 converts the same entries and visits the same number of entries,
 * services and workloads ({@link ServiceEntryRegistry#steps()}). Counted, not timed.
 *
 * <p>Each registry holds {@code n} ServiceEntries over 10 namespaces; every tenth selects the
 * WorkloadEntries and Pods labelled {@code app: svc-i} instead of listing endpoints, and each such
 * selector has one WorkloadEntry and one Pod. The two registries are filled once and shared by the
 * tests; each test changes entries no other test touches, the same way in both.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServiceEntryEventCostTest {
  private static final int SMALL = 100;
  private static final int LARGE = 10_000;

  /** The registry under test and what it was fed, applied synchronously on the test's thread. */
  private static final class Filled implements AutoCloseable {
    final FakeConfigStore store = new FakeConfigStore();
    final FakeWorkloads pods = new FakeWorkloads();
    final EndpointIndex index = new EndpointIndex();
    final List<PushRequest> pushes = new ArrayList<>();
    final ServiceEntryRegistry registry = new ServiceEntryRegistry(store, index, pushes::add,
        ServiceEntryRegistry.Options.defaults().withExecutor(Runnable::run).withWorkloadInstances(pods));

    Filled(int n) {
      registry.start();
      for (int i = 0; i < n; i++) {
        store.apply(entry(i, "10.0.0.1", 80));
        if (i % 10 == 0) {
          store.apply(workload(i, "we-" + i, "10.2." + i / 250 + "." + i % 250));
          pods.put(pod(i, "10.3." + i / 250 + "." + i % 250));
        }
      }
      assertThat(registry.services()).hasSize(n);
    }

    /** What one change cost: ServiceEntry conversions and steps. */
    Cost cost(Consumer<Filled> change) {
      long conversions = registry.conversions();
      long steps = registry.steps();
      pushes.clear();
      change.accept(this);
      assertThat(pushes).as("the change is pushed").isNotEmpty();
      return new Cost(registry.conversions() - conversions, registry.steps() - steps);
    }

    @Override
    public void close() {
      registry.close();
    }
  }

  private record Cost(long conversions, long steps) {}

  private static String ns(int i) {
    return "ns-" + i % 10;
  }

  /**
   * Entry {@code i}; every tenth selects {@code app: svc-i} rather than listing an endpoint. Built
   * with the proto builders: parsing JSON for 10,000 entries per registry would dominate the test.
   */
  private static Config entry(int i, String address, int port) {
    ServiceEntry.Builder se = ServiceEntry.newBuilder()
        .addHosts("svc-" + i + ".example.com")
        .setLocation(ServiceEntry.Location.MESH_INTERNAL)
        .setResolution(ServiceEntry.Resolution.STATIC)
        .addPorts(ServicePort.newBuilder().setNumber(port).setName("http").setProtocol("HTTP"));
    if (i % 10 == 0) {
      se.setWorkloadSelector(WorkloadSelector.newBuilder().putLabels("app", "svc-" + i));
    } else {
      se.addEndpoints(WorkloadEntry.newBuilder().setAddress(address));
    }
    return config(Kind.SERVICE_ENTRY, ns(i), "svc-" + i, Map.of(), Instant.EPOCH.plusSeconds(i), se.build());
  }

  private static Config workload(int i, String name, String address) {
    return config(Kind.WORKLOAD_ENTRY, ns(i), name, Map.of("app", "svc-" + i), Instant.EPOCH,
        WorkloadEntry.newBuilder().setAddress(address).build());
  }

  private static Config config(Kind kind, String namespace, String name, Map<String, String> labels,
      Instant created, Message spec) {
    return new Config(kind, new ConfigMeta(name, namespace, labels, Map.of(), "1", 1, created, ""), spec);
  }

  private static WorkloadInstance pod(int i, String ip) {
    return new WorkloadInstance("pod-" + i, ns(i), ip, Map.of("app", "svc-" + i), "sa", Locality.NONE, "",
        Endpoint.TlsMode.DISABLED, "svc-" + i, Map.of());
  }

  private Filled small;
  private Filled large;

  @BeforeAll
  void fill() {
    small = new Filled(SMALL);
    large = new Filled(LARGE);
  }

  @AfterAll
  void close() {
    small.close();
    large.close();
  }

  /** Runs the change in both registries and returns both costs, small first. */
  private List<Cost> inBoth(Consumer<Filled> change) {
    return List.of(small.cost(change), large.cost(change));
  }

  @Test
  void endpointUpdate_costsTheSame_at100And10000Entries() {
    List<Cost> costs = inBoth(f -> f.store.apply(entry(51, "10.9.9.9", 80)));

    assertThat(costs.get(0).conversions()).isEqualTo(1);
    assertThat(costs.get(1)).isEqualTo(costs.get(0));
  }

  @Test
  void serviceUpdate_costsTheSame_at100And10000Entries() {
    List<Cost> costs = inBoth(f -> f.store.apply(entry(52, "10.0.0.1", 8080)));

    assertThat(costs.get(0).conversions()).isEqualTo(1);
    assertThat(costs.get(1)).isEqualTo(costs.get(0));
  }

  @Test
  void addAndDelete_costTheSame_at100And10000Entries() {
    // The added entry also declares svc-53's host, older than svc-53: it now defines the service.
    List<Cost> adds = inBoth(f -> f.store.apply(serviceEntry("ns-3", "added", Instant.EPOCH, """
        {"hosts": ["svc-53.example.com"], "location": "MESH_INTERNAL", "resolution": "STATIC",
         "ports": [{"number": 9090, "name": "grpc", "protocol": "GRPC"}],
         "endpoints": [{"address": "10.0.0.1"}]}""")));
    List<Cost> deletes = inBoth(f -> f.store.delete(new ConfigKey(Kind.SERVICE_ENTRY, "ns-4", "svc-54")));

    assertThat(adds.get(0).conversions()).isEqualTo(1);
    assertThat(adds.get(1)).isEqualTo(adds.get(0));
    assertThat(large.registry.services()).filteredOn(s -> s.hostname().equals("svc-53.example.com"))
        .singleElement().satisfies(s -> assertThat(s.ports()).extracting(p -> p.port()).containsExactly(9090, 80));
    assertThat(deletes.get(0).conversions()).isZero();
    assertThat(deletes.get(1)).isEqualTo(deletes.get(0));
  }

  @Test
  void selectorEntryUpdate_costsTheSame_at100And10000Entries() {
    List<Cost> costs = inBoth(f -> f.store.apply(entry(50, "", 8080)));

    assertThat(costs.get(0).conversions()).isEqualTo(1);
    assertThat(costs.get(1)).isEqualTo(costs.get(0));
  }

  @Test
  void workloadEntryChanges_costTheSame_at100And10000Entries() {
    List<Cost> moved = inBoth(f -> f.store.apply(workload(60, "we-60", "10.8.0.1")));
    List<Cost> added = inBoth(f -> f.store.apply(workload(60, "we-extra", "10.8.0.2")));
    List<Cost> deleted = inBoth(f -> f.store.delete(new ConfigKey(Kind.WORKLOAD_ENTRY, "ns-0", "we-60")));

    for (List<Cost> costs : List.of(moved, added, deleted)) {
      assertThat(costs.get(0).conversions()).isZero();
      assertThat(costs.get(1)).isEqualTo(costs.get(0));
    }
  }

  @Test
  void podChange_costsTheSame_at100And10000Entries() {
    List<Cost> costs = inBoth(f -> f.pods.put(pod(70, "10.7.0.1")));

    assertThat(costs.get(0).conversions()).isZero();
    assertThat(costs.get(1)).isEqualTo(costs.get(0));
  }

  @Test
  void theLargeRegistry_servesAChangedEntry() {
    large.store.apply(entry(55, "10.9.9.5", 80));

    assertThat(large.index.endpoints(new ServiceKey("svc-55.example.com", "ns-5")))
        .extracting(Endpoint::address).containsExactly("10.9.9.5");
  }
}
