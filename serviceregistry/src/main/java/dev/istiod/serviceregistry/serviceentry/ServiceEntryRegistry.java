package dev.istiod.serviceregistry.serviceentry;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigEvent;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.ConfigStore;
import dev.istiod.model.Endpoint;
import dev.istiod.model.EndpointIndex;
import dev.istiod.model.Kind;
import dev.istiod.model.Proxy;
import dev.istiod.model.PushRequest;
import dev.istiod.model.Service;
import dev.istiod.model.ServiceDiscovery;
import dev.istiod.model.ServiceKey;
import dev.istiod.model.ServiceTarget;
import dev.istiod.model.TriggerReason;
import dev.istiod.serviceregistry.WorkloadInstance;
import dev.istiod.serviceregistry.WorkloadInstances;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Services and endpoints from ServiceEntries and the workloads they select (WorkloadEntries, and
 * Kubernetes Pods through {@link Options#workloads()}), as upstream's
 * {@code pilot/pkg/serviceregistry/serviceentry} controller.
 *
 * <p>Design note. Config store events and workload change events are queued onto one executor
 * (by default a thread this registry owns) and applied in order; all mutable state belongs to
 * that executor. Each event: converts what changed (a ServiceEntry that fails to convert is logged
 * and keeps its last good version, so one bad object never stops the others), writes the affected
 * endpoint shards ({@code ServiceEntry/<ns>/<name>}, one per ServiceEntry, holding its inline
 * endpoints and the workloads it selects), publishes a new immutable {@link RegistrySnapshot} for
 * readers, and finally hands at most one {@link PushRequest} to the push pipeline:
 *
 * <ul>
 *   <li>services added, removed or changed: a full push naming them (kind {@code SERVICE}, name =
 *       hostname) and the ServiceEntry, reason {@code service};
 *   <li>endpoints only: whatever {@link EndpointIndex#update} says (incremental EDS, full, or
 *       nothing), except that DNS-resolved entries always need a full push because their
 *       endpoints travel inside CDS.
 * </ul>
 *
 * <p>Each step touches only what the event concerns: {@link EntryIndex} keeps the snapshot up to
 * date one entry at a time, and {@link SelectorIndex} and {@link WorkloadsByLabel} find the
 * entries and workloads a selector links by label. So an event costs the same in a registry of ten
 * entries or ten thousand, and a burst of events is absorbed as fast as it arrives.
 *
 * <p>Readers ({@link #services()}, {@link #serviceTargets(Proxy)}) only read the volatile snapshot.
 */
public final class ServiceEntryRegistry implements ServiceDiscovery, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ServiceEntryRegistry.class);

  /**
   * Tuning of a registry.
   *
   * @param mesh the current mesh config: trust domain of endpoint identities, default exportTo
   * @param clusterId the cluster id put in endpoints' {@code topology.istio.io/cluster} label
   *     (upstream's {@code CLUSTER_ID}, {@code Kubernetes} by default; empty = no label)
   * @param executor where events are applied, one at a time; null = a daemon thread owned and
   *     stopped by the registry. Tests pass {@code Runnable::run} to apply events synchronously.
   * @param workloads workloads of other registries (Kubernetes Pods) that {@code workloadSelector}s
   *     also select, as upstream's ServiceEntry controller does; {@link WorkloadInstances#NONE}
   *     (the default) = WorkloadEntries only
   */
  public record Options(Supplier<MeshConfig> mesh, String clusterId, Executor executor, WorkloadInstances workloads) {
    public Options {
      Objects.requireNonNull(mesh, "mesh");
      clusterId = clusterId == null ? "" : clusterId;
      workloads = workloads == null ? WorkloadInstances.NONE : workloads;
    }

    public Options(Supplier<MeshConfig> mesh, String clusterId, Executor executor) {
      this(mesh, clusterId, executor, WorkloadInstances.NONE);
    }

    public static Options defaults() {
      return new Options(MeshConfig::getDefaultInstance, "Kubernetes", null, WorkloadInstances.NONE);
    }

    public Options withMesh(Supplier<MeshConfig> newMesh) {
      return new Options(newMesh, clusterId, executor, workloads);
    }

    public Options withClusterId(String newClusterId) {
      return new Options(mesh, newClusterId, executor, workloads);
    }

    public Options withExecutor(Executor newExecutor) {
      return new Options(mesh, clusterId, newExecutor, workloads);
    }

    public Options withWorkloadInstances(WorkloadInstances newWorkloads) {
      return new Options(mesh, clusterId, executor, newWorkloads);
    }
  }

  private final ConfigStore store;
  private final EndpointIndex endpointIndex;
  private final Consumer<PushRequest> pushes;
  private final ServiceEntryConverter converter;
  private final WorkloadInstances workloadSource;
  private final Executor executor;
  private final ExecutorService ownedExecutor;
  private final AtomicBoolean started = new AtomicBoolean();
  private volatile boolean closed;
  private volatile boolean synced;
  private volatile RegistrySnapshot snapshot = RegistrySnapshot.EMPTY;

  /**
   * Serialises state changes. The executor already applies events one at a time; the lock keeps
   * that true when a caller supplies a direct executor (events then run on the store's thread and
   * the initial sync on the caller's).
   */
  private final Object lock = new Object();

  /** Every ServiceEntry's state and the snapshot derived from them. @GuardedBy("lock") */
  private final EntryIndex entries = new EntryIndex();
  /** WorkloadEntry configs by namespace, name and label. @GuardedBy("lock") */
  private final WorkloadsByLabel<Config> workloadEntries = new WorkloadsByLabel<>();
  /**
   * The other registries' workloads by namespace, name and label: this registry's copy, kept in
   * step by their change events, so a change can be compared with what was there. @GuardedBy("lock")
   */
  private final WorkloadsByLabel<WorkloadInstance> workloadInstances = new WorkloadsByLabel<>();
  /** ServiceEntry conversions so far (tests check that an event converts only its own entry). */
  private long conversions;

  /** A registry with {@link Options#defaults()}. */
  public ServiceEntryRegistry(ConfigStore store, EndpointIndex endpointIndex, Consumer<PushRequest> pushes) {
    this(store, endpointIndex, pushes, Options.defaults());
  }

  /**
   * @param store the source of ServiceEntry and WorkloadEntry configs (any store: memory, files,
   *     Kubernetes); nothing is read until {@link #start()}
   * @param endpointIndex the shared index the EDS generator reads; this registry owns the
   *     {@code ServiceEntry/...} shards in it
   * @param pushes the push pipeline's entry point (the debouncer); called on the event thread
   */
  public ServiceEntryRegistry(
      ConfigStore store, EndpointIndex endpointIndex, Consumer<PushRequest> pushes, Options options) {
    this.store = Objects.requireNonNull(store, "store");
    this.endpointIndex = Objects.requireNonNull(endpointIndex, "endpointIndex");
    this.pushes = Objects.requireNonNull(pushes, "pushes");
    this.converter = new ServiceEntryConverter(options.mesh(), options.clusterId());
    this.workloadSource = options.workloads();
    if (options.executor() == null) {
      this.ownedExecutor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "serviceentry-registry");
        t.setDaemon(true);
        return t;
      });
      this.executor = ownedExecutor;
    } else {
      this.ownedExecutor = null;
      this.executor = options.executor();
    }
  }

  /**
   * Subscribes to the store, then queues the initial sync: every ServiceEntry and WorkloadEntry the
   * store holds is applied and announced as one full push. Returns at once; {@link #hasSynced()}
   * turns true when the sync has been applied.
   *
   * @throws IllegalStateException if called twice
   */
  public void start() {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("ServiceEntryRegistry already started");
    }
    // Subscribe before listing: an event racing the listing is applied again after it, which is
    // harmless because applying a config is idempotent.
    store.addHandler(this::onEvent);
    workloadSource.addListener((namespace, name, current) -> submit("workload " + namespace + "/" + name,
        () -> handleWorkloadInstance(namespace, name, current)));
    submit("initial sync", this::syncAll);
  }

  /** True once the initial sync has been applied. */
  public boolean hasSynced() {
    return synced;
  }

  @Override
  public List<Service> services() {
    return snapshot.services();
  }

  @Override
  public List<ServiceTarget> serviceTargets(Proxy proxy) {
    return snapshot.serviceTargets(proxy);
  }

  /** ServiceEntry conversions so far. */
  long conversions() {
    synchronized (lock) {
      return conversions;
    }
  }

  /** Work done so far, in entries, services and workloads visited (see {@link EntryIndex#steps()}). */
  long steps() {
    synchronized (lock) {
      return entries.steps();
    }
  }

  /** Stops applying events and, if the registry owns its thread, stops it. */
  @Override
  public void close() {
    closed = true;
    if (ownedExecutor != null) {
      ownedExecutor.shutdownNow();
    }
  }

  private void onEvent(ConfigEvent event) {
    Kind kind = event.key().kind();
    if (kind == Kind.SERVICE_ENTRY) {
      submit(event.type() + " " + event.key(), () -> handleServiceEntry(event));
    } else if (kind == Kind.WORKLOAD_ENTRY) {
      submit(event.type() + " " + event.key(), () -> handleWorkloadEntry(event));
    }
  }

  private void submit(String what, Runnable task) {
    if (closed) {
      return;
    }
    try {
      executor.execute(() -> {
        synchronized (lock) {
          try {
            task.run();
          } catch (RuntimeException e) {
            log.error("ServiceEntry registry failed to apply {}", what, e);
          }
        }
      });
    } catch (RejectedExecutionException e) {
      log.debug("ServiceEntry registry closed; dropped {}", what);
    }
  }

  private void syncAll() {
    PushPlan plan = new PushPlan(TriggerReason.SERVICE);
    workloadEntries.clear();
    store.list(Kind.WORKLOAD_ENTRY).forEach(this::putWorkloadEntry);
    workloadInstances.clear();
    workloadSource.list().forEach(this::putWorkloadInstance);
    Set<ConfigKey> present = new HashSet<>();
    for (Config se : store.list(Kind.SERVICE_ENTRY)) {
      present.add(se.key());
      applyOrKeep(se, plan);
    }
    for (ConfigKey gone : entries.keys()) {
      if (!present.contains(gone)) {
        removeEntry(gone, plan);
      }
    }
    synced = true;
    publish(plan);
    log.info("ServiceEntry registry synced: {} ServiceEntries, {} services",
        entries.size(), snapshot.services().size());
  }

  private void handleServiceEntry(ConfigEvent event) {
    PushPlan plan = new PushPlan(TriggerReason.SERVICE);
    if (event.type() == ConfigEvent.Type.DELETE) {
      removeEntry(event.key(), plan);
    } else {
      applyOrKeep(event.newConfig(), plan);
    }
    publish(plan);
  }

  private void handleWorkloadEntry(ConfigEvent event) {
    ConfigKey key = event.key();
    Config previous = workloadEntries.get(key.namespace(), key.name());
    if (previous == null) {
      previous = event.oldConfig();
    }
    Map<String, String> after = null;
    if (event.type() == ConfigEvent.Type.DELETE) {
      workloadEntries.remove(key.namespace(), key.name());
    } else {
      after = putWorkloadEntry(event.newConfig());
    }
    reselect(key.namespace(), labelsOf(previous), after);
  }

  /**
   * A Pod (or another registry's workload) appeared, changed or went away: as upstream's workload
   * instance handler, the entries of its namespace whose selector matched it before or matches it
   * now get their endpoints re-derived.
   */
  private void handleWorkloadInstance(String namespace, String name, WorkloadInstance current) {
    WorkloadInstance previous = workloadInstances.get(namespace, name);
    if (Objects.equals(previous, current)) {
      return; // already applied, e.g. by the initial sync's listing
    }
    if (current == null) {
      workloadInstances.remove(namespace, name);
    } else {
      putWorkloadInstance(current);
    }
    reselect(namespace, previous == null ? null : previous.labels(), current == null ? null : current.labels());
  }

  /**
   * Re-derives the endpoints of the entries in a namespace whose selector matches a workload's
   * labels before or after its change (null = it was or is absent), then publishes if any did
   * (most Pods are selected by no ServiceEntry; their churn should cost no snapshot rebuild).
   */
  private void reselect(String namespace, Map<String, String> before, Map<String, String> after) {
    PushPlan plan = new PushPlan(TriggerReason.ENDPOINT);
    List<EntryState> selecting = entries.selecting(namespace, before, after);
    for (EntryState state : selecting) {
      ConvertedEntry entry = state.entry();
      EntryState next = new EntryState(entry, instancesOf(entry));
      entries.put(next);
      writeEndpoints(entry, state.endpointsByService(), next.endpointsByService(), plan);
    }
    if (!selecting.isEmpty()) {
      publish(plan);
    }
  }

  /**
   * An entry's endpoints. Only the workloads its selector may match are handed over (the
   * converter checks the full selector), so this costs the entry's own workloads, not the
   * namespace's.
   */
  private List<Instance> instancesOf(ConvertedEntry entry) {
    if (entry.selector().isEmpty()) {
      return converter.instances(entry, List.of(), List.of());
    }
    Map<String, String> selector = entry.selector().get();
    List<Config> workloads = workloadEntries.candidates(entry.namespace(), selector);
    List<WorkloadInstance> pods = workloadInstances.candidates(entry.namespace(), selector);
    entries.countSteps(workloads.size() + pods.size());
    return converter.instances(entry, workloads, pods);
  }

  /** Applies a ServiceEntry; if it cannot be converted, logs why and keeps what was there. */
  private void applyOrKeep(Config se, PushPlan plan) {
    try {
      applyEntry(se, plan);
    } catch (RuntimeException e) {
      boolean known = entries.contains(se.key());
      log.error("{}: cannot serve this ServiceEntry ({}); {}", ServiceEntryConverter.describe(se),
          e.getMessage(), known ? "keeping its previous version" : "ignoring it", e);
    }
  }

  private void applyEntry(Config se, PushPlan plan) {
    // Convert before touching any state, so that a failure leaves the registry as it was.
    conversions++;
    entries.countSteps(1);
    ConvertedEntry entry = converter.convert(se);
    EntryState next = new EntryState(entry, instancesOf(entry));
    EntryState old = entries.put(next);

    Map<String, Service> oldByHost = new HashMap<>();
    if (old != null) {
      old.entry().services().forEach(s -> oldByHost.put(s.hostname(), s));
    }
    // A new selector changes which proxies implement the services (their inbound listeners), as
    // upstream's Service equality includes the label selector.
    boolean selectorChanged = old != null && !old.entry().selector().equals(entry.selector());
    for (Service svc : entry.services()) {
      if (selectorChanged || !svc.equals(oldByHost.remove(svc.hostname()))) {
        plan.full(svc.key());
      }
    }
    oldByHost.values().forEach(s -> plan.full(s.key()));
    writeEndpoints(entry, old == null ? Map.of() : old.endpointsByService(), next.endpointsByService(), plan);
    plan.alsoNames(se.key());
  }

  private void removeEntry(ConfigKey key, PushPlan plan) {
    EntryState old = entries.remove(key);
    if (old == null) {
      return;
    }
    for (ServiceKey service : old.endpointsByService().keySet()) {
      endpointIndex.delete(service, old.entry().shard());
      plan.full(service);
    }
    plan.alsoNames(key);
  }

  /** Replaces an entry's shard in every service it touches and records what that needs pushed. */
  private void writeEndpoints(ConvertedEntry entry, Map<ServiceKey, List<Endpoint>> before,
      Map<ServiceKey, List<Endpoint>> after, PushPlan plan) {
    Set<ServiceKey> services = new LinkedHashSet<>(after.keySet());
    services.addAll(before.keySet());
    for (ServiceKey service : services) {
      switch (endpointIndex.update(service, entry.shard(), after.getOrDefault(service, List.of()))) {
        case NONE -> { }
        case FULL -> plan.full(service);
        case INCREMENTAL -> {
          if (entry.dnsResolved()) {
            plan.full(service); // DNS endpoints are inlined in the CDS cluster
          } else {
            plan.incremental(service);
          }
        }
      }
    }
  }

  private void publish(PushPlan plan) {
    snapshot = entries.snapshot();
    plan.toRequest().ifPresent(request -> {
      try {
        pushes.accept(request);
      } catch (RuntimeException e) {
        log.error("push pipeline rejected {}", request, e);
      }
    });
  }

  /** Stores a WorkloadEntry; returns its selectable labels (null if unreadable). */
  private Map<String, String> putWorkloadEntry(Config we) {
    Map<String, String> labels = labelsOf(we);
    workloadEntries.put(we.namespace(), we.name(), labels, we);
    return labels;
  }

  private void putWorkloadInstance(WorkloadInstance wi) {
    workloadInstances.put(wi.namespace(), wi.name(), wi.labels(), wi);
  }

  /** A WorkloadEntry's selectable labels, or null if there is no such config or it is malformed. */
  private static Map<String, String> labelsOf(Config we) {
    if (we == null) {
      return null;
    }
    try {
      return ServiceEntryConverter.mergedWorkloadEntry(we).getLabelsMap();
    } catch (RuntimeException e) {
      log.warn("{}: unreadable WorkloadEntry ({})", ServiceEntryConverter.describe(we), e.getMessage());
      return null;
    }
  }
}
