package dev.istiod.serviceregistry.serviceentry;

import static org.assertj.core.api.Assertions.assertThat;

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
import dev.istiod.model.Proxy;
import dev.istiod.model.ServiceKey;
import dev.istiod.serviceregistry.WorkloadInstance;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The registry updated one event at a time ends where a registry built from scratch over the same
 * configs starts: same services (hosts several entries share merged the same way), same service
 * targets for every proxy, same endpoints in the index. Random sequences of ServiceEntry,
 * WorkloadEntry and Pod changes over a small pool of names, hosts, addresses and labels, so that
 * entries share hosts and addresses, selectors gain and lose workloads, and entries are replaced
 * by older or newer ones.
 */
class IncrementalSnapshotTest {
  private static final List<String> NAMESPACES = List.of("a", "b");
  private static final List<String> IPS = List.of("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5");
  private static final List<String> APPS = List.of("x", "y", "z");

  private final FakeConfigStore store = new FakeConfigStore();
  private final FakeWorkloads pods = new FakeWorkloads();

  private ServiceEntryRegistry registry(EndpointIndex index) {
    ServiceEntryRegistry r = new ServiceEntryRegistry(store, index, request -> { },
        ServiceEntryRegistry.Options.defaults().withExecutor(Runnable::run).withWorkloadInstances(pods));
    r.start();
    return r;
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void randomEvents_incrementalStateEqualsAFreshBuild(long seed) {
    Random random = new Random(seed);
    EndpointIndex incrementalIndex = new EndpointIndex();
    try (ServiceEntryRegistry incremental = registry(incrementalIndex)) {
      for (int step = 1; step <= 1_500; step++) {
        change(random);
        if (step % 500 == 0) {
          assertSameAsFresh(incremental, incrementalIndex);
        }
      }
    }
  }

  private void change(Random random) {
    String ns = pick(random, NAMESPACES);
    int dice = random.nextInt(10);
    if (dice < 4) {
      store.apply(serviceEntry(random, ns));
    } else if (dice < 5) {
      store.delete(new ConfigKey(Kind.SERVICE_ENTRY, ns, "se-" + random.nextInt(12)));
    } else if (dice < 7) {
      store.apply(workloadEntry(random, ns));
    } else if (dice < 8) {
      store.delete(new ConfigKey(Kind.WORKLOAD_ENTRY, ns, "we-" + random.nextInt(8)));
    } else if (dice < 9) {
      pods.put(new WorkloadInstance("pod-" + random.nextInt(6), ns, pick(random, IPS), labels(random), "sa",
          Locality.NONE, "", Endpoint.TlsMode.ISTIO, "app", Map.of("http", 8080)));
    } else {
      pods.remove(ns, "pod-" + random.nextInt(6));
    }
  }

  private static Config serviceEntry(Random random, String ns) {
    boolean dns = random.nextInt(4) == 0;
    ServiceEntry.Builder se = ServiceEntry.newBuilder()
        .setResolution(dns ? ServiceEntry.Resolution.DNS : ServiceEntry.Resolution.STATIC)
        .setLocation(random.nextBoolean() ? ServiceEntry.Location.MESH_INTERNAL : ServiceEntry.Location.MESH_EXTERNAL);
    int hosts = 1 + random.nextInt(2);
    for (int h = 0; h < hosts; h++) {
      se.addHosts("h" + random.nextInt(5) + ".example.com");
    }
    List<Integer> numbers = List.of(80, 443, 9000);
    for (int p = 0; p < numbers.size(); p++) {
      if (p == 0 || random.nextBoolean()) {
        se.addPorts(ServicePort.newBuilder().setNumber(numbers.get(p)).setName("port-" + numbers.get(p))
            .setProtocol(p == 0 ? "HTTP" : "TCP").setTargetPort(random.nextBoolean() ? 0 : 8000 + p));
      }
    }
    if (random.nextInt(5) == 0) {
      se.addExportTo(random.nextBoolean() ? "." : "*");
    }
    switch (random.nextInt(4)) {
      case 0 -> se.setWorkloadSelector(WorkloadSelector.newBuilder().putLabels("app", pick(random, APPS)));
      case 1 -> se.setWorkloadSelector(random.nextBoolean() ? WorkloadSelector.getDefaultInstance()
          : WorkloadSelector.newBuilder().putLabels("app", pick(random, APPS)).putLabels("v", "1").build());
      default -> {
        int endpoints = dns ? random.nextInt(2) : 1 + random.nextInt(2);
        for (int e = 0; e < endpoints; e++) {
          se.addEndpoints(WorkloadEntry.newBuilder().setAddress(pick(random, IPS)).putAllLabels(labels(random)));
        }
      }
    }
    Map<String, String> metaLabels = random.nextInt(3) == 0 ? Map.of("team", "t" + random.nextInt(2)) : Map.of();
    return config(Kind.SERVICE_ENTRY, ns, "se-" + random.nextInt(12), metaLabels,
        Instant.EPOCH.plusSeconds(random.nextInt(4)), se.build());
  }

  private static Config workloadEntry(Random random, String ns) {
    String address = random.nextInt(6) == 0 ? "backend.example.org" : pick(random, IPS);
    WorkloadEntry.Builder we = WorkloadEntry.newBuilder().setAddress(address).putAllLabels(labels(random));
    if (random.nextBoolean()) {
      we.putPorts("port-80", 7000 + random.nextInt(3));
    }
    Map<String, String> metaLabels = random.nextInt(3) == 0 ? Map.of("app", pick(random, APPS)) : Map.of();
    return config(Kind.WORKLOAD_ENTRY, ns, "we-" + random.nextInt(8), metaLabels, Instant.EPOCH, we.build());
  }

  private static Map<String, String> labels(Random random) {
    return switch (random.nextInt(4)) {
      case 0 -> Map.of();
      case 1 -> Map.of("app", pick(random, APPS));
      default -> Map.of("app", pick(random, APPS), "v", random.nextBoolean() ? "1" : "2");
    };
  }

  private void assertSameAsFresh(ServiceEntryRegistry incremental, EndpointIndex incrementalIndex) {
    EndpointIndex freshIndex = new EndpointIndex();
    try (ServiceEntryRegistry fresh = registry(freshIndex)) {
      assertThat(incremental.services()).isEqualTo(fresh.services());
      for (String ns : NAMESPACES) {
        for (String ip : IPS) {
          for (Map<String, String> labels : List.of(Map.<String, String>of(), Map.of("app", "x"),
              Map.of("app", "y", "v", "1"), Map.of("app", "z", "v", "2"))) {
            Proxy proxy = Fixtures.sidecar(ns, List.of(ip), labels);
            assertThat(incremental.serviceTargets(proxy)).as("targets of %s %s %s", ns, ip, labels)
                .isEqualTo(fresh.serviceTargets(proxy));
          }
        }
      }
      assertThat(incrementalIndex.services()).isEqualTo(freshIndex.services());
      Set<ServiceKey> keys = new TreeSet<>(freshIndex.services());
      for (ServiceKey key : keys) {
        assertThat(incrementalIndex.endpoints(key)).as("endpoints of %s", key).isEqualTo(freshIndex.endpoints(key));
      }
    }
  }

  private static <T> T pick(Random random, List<T> from) {
    return from.get(random.nextInt(from.size()));
  }

  private static Config config(Kind kind, String namespace, String name, Map<String, String> labels,
      Instant created, com.google.protobuf.Message spec) {
    return new Config(kind, new ConfigMeta(name, namespace, labels, Map.of(), "1", 1, created, ""), spec);
  }
}
