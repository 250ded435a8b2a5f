package dev.istiod.bench;

import dev.istiod.api.networking.v1alpha3.ServiceEntry;
import dev.istiod.api.networking.v1alpha3.ServicePort;
import dev.istiod.api.networking.v1alpha3.WorkloadEntry;
import dev.istiod.configstore.MemoryConfigStore;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigMeta;
import dev.istiod.model.EndpointIndex;
import dev.istiod.model.Kind;
import dev.istiod.model.PushRequest;
import dev.istiod.serviceregistry.serviceentry.ServiceEntryRegistry;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One ServiceEntry event in a registry of {@code entries} ServiceEntries, through the path istiod
 * uses: a memory config store's event, the ServiceEntry registry (applied on the writer's thread
 * here, so the measured time is the registry's whole work), the endpoint index and the push
 * request handed to the pipeline (counted, not pushed).
 *
 * <ul>
 *   <li>{@link #updateEndpoint}: one entry's endpoint address flips between two values (an
 *       incremental EDS push).</li>
 *   <li>{@link #updateService}: one entry's port list flips between one and two ports (a full
 *       push naming the service).</li>
 * </ul>
 *
 * <p>The per-event cost should not depend on {@code entries}; compare the medians of the two
 * sizes. Every entry is STATIC with one host, one port and one inline endpoint, spread over 10
 * namespaces. Run: {@code tools/bench.sh ServiceEntryUpdateBenchmark -f 1 -i 3 -wi 2}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+UseParallelGC"})
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
public class ServiceEntryUpdateBenchmark {
  @Param({"1000", "10000"})
  public int entries;

  private MemoryConfigStore store;
  private ServiceEntryRegistry registry;
  private long pushes;
  private int flip;

  @Setup(Level.Trial)
  public void setUp() {
    store = new MemoryConfigStore();
    registry = new ServiceEntryRegistry(store, new EndpointIndex(), this::count,
        ServiceEntryRegistry.Options.defaults().withExecutor(Runnable::run));
    registry.start();
    for (int i = 0; i < entries; i++) {
      store.create(entry(i, "10.0.0.1", 1));
    }
    if (registry.services().size() != entries) {
      throw new IllegalStateException("expected " + entries + " services, got " + registry.services().size());
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    registry.close();
    if (pushes == 0) {
      throw new IllegalStateException("the registry requested no push");
    }
  }

  @Benchmark
  public Config updateEndpoint() {
    flip++;
    return store.update(entry(entries / 2, (flip & 1) == 0 ? "10.0.0.1" : "10.0.0.2", 1));
  }

  @Benchmark
  public Config updateService() {
    flip++;
    return store.update(entry(entries / 2, "10.0.0.1", (flip & 1) == 0 ? 1 : 2));
  }

  private void count(PushRequest request) {
    pushes++;
  }

  /** Entry {@code i}: host {@code svc-i.example.com} in namespace {@code ns-(i % 10)}. */
  static Config entry(int i, String endpoint, int ports) {
    ServiceEntry.Builder se = ServiceEntry.newBuilder()
        .addHosts("svc-" + i + ".example.com")
        .setLocation(ServiceEntry.Location.MESH_EXTERNAL)
        .setResolution(ServiceEntry.Resolution.STATIC)
        .addEndpoints(WorkloadEntry.newBuilder().setAddress(endpoint).putLabels("app", "svc-" + i));
    for (int p = 0; p < ports; p++) {
      se.addPorts(ServicePort.newBuilder()
          .setNumber(8080 + p).setName("http-" + p).setProtocol("HTTP"));
    }
    String namespace = "ns-" + (i % 10);
    String name = "svc-" + i;
    ConfigMeta meta = new ConfigMeta(name, namespace, Map.of(), Map.of(), "", 0,
        Instant.EPOCH.plusSeconds(i), "");
    return new Config(Kind.SERVICE_ENTRY, meta, se.build());
  }
}
