package dev.istiod.serviceregistry.serviceentry;

import static dev.istiod.serviceregistry.serviceentry.Fixtures.serviceEntry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;
import static org.awaitility.Awaitility.await;

import dev.istiod.configstore.KindRegistry;
import dev.istiod.configstore.MemoryConfigStore;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.Endpoint;
import dev.istiod.model.EndpointIndex;
import dev.istiod.model.Kind;
import dev.istiod.model.PushRequest;
import dev.istiod.model.Service;
import dev.istiod.model.ServiceKey;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Thousands of ServiceEntry events through the path istiod wires: a validating config store, its
 * events queued to the registry's own thread, the endpoint index, push requests to the pipeline.
 * After the burst the registry holds exactly the final state (deleted hosts gone, renamed and new
 * ones present, endpoints at their last address), and the pushes it sent named every host that
 * came or went, so the proxies were told.
 */
class ServiceEntryBurstTest {
  private static final int ENTRIES = 3_000;

  private final MemoryConfigStore store = new MemoryConfigStore(KindRegistry.istio());
  private final EndpointIndex index = new EndpointIndex();
  private final PushRequest.Merger pushed = new PushRequest.Merger();
  private final ServiceEntryRegistry registry = new ServiceEntryRegistry(store, index, this::push);

  /** What the test wrote last, per entry: host and endpoint address; absent = deleted. */
  private final Map<String, Written> expected = new TreeMap<>();
  private final Set<ServiceKey> everyHost = new HashSet<>();

  private record Written(String namespace, String host, String address, int port) {}

  @AfterEach
  void close() {
    registry.close();
  }

  private synchronized void push(PushRequest request) {
    pushed.add(request);
  }

  private synchronized PushRequest pushedSoFar() {
    return pushed.build();
  }

  @Test
  void createRewriteDeleteBurst_convergesToExactlyTheFinalServicesAndEndpoints() {
    registry.start();
    await().atMost(Duration.ofSeconds(30)).until(registry::hasSynced);

    for (int i = 0; i < ENTRIES; i++) {
      write("svc-" + i, "ns-" + (i % 10), "svc-" + i + ".burst.example", ip(i, 1), 80, i);
    }
    // Rewrite every entry (a third of them under a new host, a fifth with another port), and,
    // interleaved with it, delete every even one just after its rewrite and add 500 new ones.
    for (int i = 0; i < ENTRIES; i++) {
      String host = i % 3 == 0 ? "svc-" + i + "-v2.burst.example" : "svc-" + i + ".burst.example";
      write("svc-" + i, "ns-" + (i % 10), host, ip(i, 2), i % 5 == 0 ? 8080 : 80, i);
      if (i % 2 == 1) {
        delete("svc-" + (i - 1), "ns-" + ((i - 1) % 10));
      }
      if (i % 6 == 0) {
        int n = i / 6;
        write("new-" + n, "ns-" + (n % 10), "new-" + n + ".burst.example", ip(n, 3), 80, ENTRIES + n);
      }
    }
    assertThat(expected).hasSize(ENTRIES / 2 + ENTRIES / 6);

    Set<ServiceKey> finalHosts = new HashSet<>();
    expected.values().forEach(w -> finalHosts.add(new ServiceKey(w.host(), w.namespace())));
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
        assertThat(registry.services()).extracting(Service::key).containsExactlyInAnyOrderElementsOf(finalHosts));

    Map<ServiceKey, Service> services = new HashMap<>();
    registry.services().forEach(s -> services.put(s.key(), s));
    for (Written w : expected.values()) {
      ServiceKey key = new ServiceKey(w.host(), w.namespace());
      assertThat(services.get(key).ports()).singleElement().extracting(p -> p.port()).isEqualTo(w.port());
      assertThat(index.endpoints(key)).extracting(Endpoint::address, Endpoint::port)
          .containsExactly(tuple(w.address(), w.port()));
    }
    Set<ServiceKey> gone = new HashSet<>(everyHost);
    gone.removeAll(finalHosts);
    assertThat(gone).hasSizeGreaterThan(ENTRIES / 2);
    assertThat(index.services()).doesNotContainAnyElementsOf(gone).containsAll(finalHosts);

    PushRequest all = pushedSoFar();
    assertThat(all.full()).isTrue();
    Set<ServiceKey> unnamed = new HashSet<>(everyHost);
    unnamed.removeIf(h -> all.configsUpdated().contains(new ConfigKey(Kind.SERVICE, h.namespace(), h.hostname())));
    assertThat(unnamed).as("hosts never named in a push").isEmpty();
  }

  private void write(String name, String namespace, String host, String address, int port, int age) {
    store.apply(serviceEntry(namespace, name, Instant.EPOCH.plusSeconds(age), """
        {"hosts": ["%s"], "location": "MESH_EXTERNAL", "resolution": "STATIC",
         "ports": [{"number": %d, "name": "http", "protocol": "HTTP"}],
         "endpoints": [{"address": "%s"}]}""".formatted(host, port, address)));
    expected.put(namespace + "/" + name, new Written(namespace, host, address, port));
    everyHost.add(new ServiceKey(host, namespace));
  }

  private void delete(String name, String namespace) {
    assertThat(store.delete(new ConfigKey(Kind.SERVICE_ENTRY, namespace, name))).isTrue();
    expected.remove(namespace + "/" + name);
  }

  private static String ip(int i, int generation) {
    return "10." + generation + "." + (i / 250) + "." + (i % 250 + 1);
  }
}
