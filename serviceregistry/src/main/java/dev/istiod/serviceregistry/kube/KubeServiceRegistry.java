package dev.istiod.serviceregistry.kube;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.model.EndpointIndex;
import dev.istiod.model.Proxy;
import dev.istiod.model.PushRequest;
import dev.istiod.model.Service;
import dev.istiod.model.ServiceDiscovery;
import dev.istiod.model.ServiceTarget;
import dev.istiod.serviceregistry.WorkloadInstances;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ExceptionHandler;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Services and endpoints of a Kubernetes cluster, as upstream's
 * {@code pilot/pkg/serviceregistry/kube/controller}: informers over Services, EndpointSlices
 * ({@code discovery.k8s.io/v1}), Pods, Nodes and Namespaces feed one event queue; Services become
 * model services (a full push when they change), slices become endpoints in the shared
 * {@link EndpointIndex} (incremental EDS unless the index says otherwise), Pods give endpoints and
 * connecting proxies their identity, labels and locality.
 *
 * <p>Design note. Informer callbacks only enqueue the object's key; the queue (one thread, or the
 * caller's executor serialised by a lock) reads the informer's current version of it and applies
 * that to the {@link KubeController}, so a burst of updates to one object is applied once, in
 * order, and no two handlers ever race. Until every informer has synced, events are not applied at
 * all: the initial sync then reads every informer's cache in dependency order (namespaces, nodes,
 * pods, services, slices), which is cheaper and makes the first push complete. Informers retry
 * forever when the API server is away; proxies keep their last config meanwhile.
 */
public final class KubeServiceRegistry implements ServiceDiscovery, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubeServiceRegistry.class);

  /**
   * Tuning of the registry.
   *
   * @param domainSuffix the cluster's DNS domain ({@code cluster.local}): hostnames are
   *     {@code <name>.<ns>.svc.<domainSuffix>}
   * @param clusterId this cluster's id ({@code Kubernetes} by default): endpoints' and proxies'
   *     {@code topology.istio.io/cluster} label; proxies that say they are elsewhere are not matched
   * @param mesh the current mesh config (trust domain of identities, default exportTo)
   * @param executor where events are applied, one at a time; null = a daemon thread the registry
   *     owns. Tests pass {@code Runnable::run} to apply events on the informers' threads.
   * @param podChanges told (on the event thread) when a Pod appears or what the registry knows of it
   *     changes (labels, service account, IPs, locality), so that proxies of that Pod can be
   *     re-associated; must be quick
   */
  public record Options(
      String domainSuffix, String clusterId, Supplier<MeshConfig> mesh, Executor executor,
      Consumer<PodInfo> podChanges) {
    public Options {
      domainSuffix = domainSuffix == null || domainSuffix.isEmpty() ? "cluster.local" : domainSuffix;
      clusterId = clusterId == null ? "" : clusterId;
      Objects.requireNonNull(mesh, "mesh");
      podChanges = podChanges == null ? p -> { } : podChanges;
    }

    public static Options defaults() {
      return new Options("cluster.local", "Kubernetes", MeshConfig::getDefaultInstance, null, null);
    }

    public Options withDomainSuffix(String newDomainSuffix) {
      return new Options(newDomainSuffix, clusterId, mesh, executor, podChanges);
    }

    public Options withClusterId(String newClusterId) {
      return new Options(domainSuffix, newClusterId, mesh, executor, podChanges);
    }

    public Options withMesh(Supplier<MeshConfig> newMesh) {
      return new Options(domainSuffix, clusterId, newMesh, executor, podChanges);
    }

    public Options withExecutor(Executor newExecutor) {
      return new Options(domainSuffix, clusterId, mesh, newExecutor, podChanges);
    }

    public Options withPodChanges(Consumer<PodInfo> newPodChanges) {
      return new Options(domainSuffix, clusterId, mesh, executor, newPodChanges);
    }
  }

  private final KubernetesClient client;
  private final KubeController controller;
  private final Executor executor;
  private final ExecutorService ownedExecutor;
  private final AtomicBoolean started = new AtomicBoolean();
  private final CompletableFuture<Void> syncedFuture = new CompletableFuture<>();
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  /** Keys queued and not yet applied, per kind: a burst of events for one object is applied once. */
  private final Set<String> pending = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /** Serialises the controller when a caller-supplied executor runs tasks on several threads. */
  private final Object lock = new Object();

  private SharedIndexInformer<Namespace> namespaces;
  private SharedIndexInformer<Node> nodes;
  private SharedIndexInformer<Pod> pods;
  private SharedIndexInformer<io.fabric8.kubernetes.api.model.Service> services;
  private SharedIndexInformer<EndpointSlice> slices;

  public KubeServiceRegistry(KubernetesClient client, EndpointIndex endpointIndex, Consumer<PushRequest> pushes) {
    this(client, endpointIndex, pushes, Options.defaults());
  }

  /**
   * @param client a client for the cluster; nothing is read until {@link #start()}
   * @param endpointIndex the shared index the EDS generator reads; this registry owns the
   *     {@code Kubernetes/<ns>/<service>} shards in it
   * @param pushes the push pipeline's entry point (the debouncer); called on the event thread
   */
  public KubeServiceRegistry(KubernetesClient client, EndpointIndex endpointIndex, Consumer<PushRequest> pushes,
      Options options) {
    this.client = Objects.requireNonNull(client, "client");
    this.controller = new KubeController(endpointIndex, pushes, options);
    if (options.executor() == null) {
      this.ownedExecutor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "kube-registry");
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
   * Starts the informers and returns at once; {@link #hasSynced()} turns true (and
   * {@link #whenSynced()} completes) once every informer has listed its objects and the registry
   * has applied them, which ends with one full push.
   *
   * @throws IllegalStateException if called twice
   */
  public void start() {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("KubeServiceRegistry already started");
    }
    namespaces = informer(client.namespaces().runnableInformer(0), "Namespace",
        (name, ns) -> controller.applyNamespace(name.name(), ns));
    nodes = informer(client.nodes().runnableInformer(0), "Node", (name, n) -> controller.applyNode(name.name(), n));
    pods = informer(client.pods().inAnyNamespace().runnableInformer(0), TrimmingItemStore.leanPods(), "Pod",
        controller::applyPod);
    services = informer(client.services().inAnyNamespace().runnableInformer(0), "Service", controller::applyService);
    slices = informer(client.discovery().v1().endpointSlices().inAnyNamespace().runnableInformer(0),
        "EndpointSlice", controller::applySlice);
    List<CompletableFuture<Void>> starts = new ArrayList<>();
    for (SharedIndexInformer<?> informer : informers) {
      starts.add(informer.start().toCompletableFuture());
    }
    CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).whenComplete((ok, error) -> {
      if (error != null) {
        log.error("Kubernetes informers failed to start; the registry will not sync", error);
        return;
      }
      submit("initial sync", () -> {
        controller.sync(namespaces.getStore().list(), nodes.getStore().list(), pods.getStore().list(),
            services.getStore().list(), slices.getStore().list());
        syncedFuture.complete(null);
      });
    });
  }

  private <T extends HasMetadata> SharedIndexInformer<T> informer(SharedIndexInformer<T> informer, String kind,
      BiConsumer<ObjectName, T> apply) {
    return informer(informer, TrimmingItemStore.withoutManagedFields(), kind, apply);
  }

  private <T extends HasMetadata> SharedIndexInformer<T> informer(SharedIndexInformer<T> informer,
      TrimmingItemStore<T> store, String kind, BiConsumer<ObjectName, T> apply) {
    informer.itemStore(store);
    informer.exceptionHandler(retryForever(kind));
    informer.addEventHandler(new ResourceEventHandler<T>() {
      @Override
      public void onAdd(T obj) {
        enqueue(kind, informer, obj, apply);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        enqueue(kind, informer, newObj, apply);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        enqueue(kind, informer, obj, apply);
      }
    });
    informers.add(informer);
    return informer;
  }

  private static ExceptionHandler retryForever(String kind) {
    return (isStarted, t) -> {
      if (ExceptionHandler.isDeserializationException(t)) {
        log.error("{} informer cannot read an object from the API server; retrying", kind, t);
      } else {
        log.warn("{} informer lost the API server ({}); retrying", kind, t.toString());
      }
      return true;
    };
  }

  /** Queues the object's key; the queue applies whatever version the informer holds by then. */
  private <T extends HasMetadata> void enqueue(String kind, SharedIndexInformer<T> informer, T obj,
      BiConsumer<ObjectName, T> apply) {
    if (obj == null || obj.getMetadata() == null || obj.getMetadata().getName() == null) {
      log.warn("{} informer delivered an object without a name; ignoring it", kind);
      return;
    }
    ObjectName name = ObjectName.of(obj);
    String storeKey = name.namespace().isEmpty() ? name.name() : name.namespace() + "/" + name.name();
    String pendingKey = kind + " " + storeKey;
    if (!pending.add(pendingKey)) {
      return;
    }
    submit(pendingKey, () -> {
      pending.remove(pendingKey);
      if (controller.synced()) { // before the sync, the sync itself reads the informer's cache
        apply.accept(name, informer.getStore().getByKey(storeKey));
      }
    });
  }

  private void submit(String what, Runnable task) {
    if (closed) {
      return;
    }
    try {
      executor.execute(() -> {
        synchronized (lock) {
          if (closed) {
            return;
          }
          try {
            task.run();
          } catch (RuntimeException e) {
            log.error("Kubernetes registry failed to apply {}", what, e);
          }
        }
      });
    } catch (RejectedExecutionException e) {
      log.debug("Kubernetes registry closed; dropped {}", what);
    }
  }

  /** True once every informer has synced and the registry has applied their contents. */
  public boolean hasSynced() {
    return controller.synced();
  }

  /** Completes when {@link #hasSynced()} turns true. */
  public CompletableFuture<Void> whenSynced() {
    return syncedFuture.copy();
  }

  @Override
  public List<Service> services() {
    return controller.services();
  }

  /**
   * The Service ports the proxy's Pod implements (matched by IP within its namespace), each with
   * the Pod port it maps to (a named {@code targetPort} resolved from the Pod's container ports).
   */
  @Override
  public List<ServiceTarget> serviceTargets(Proxy proxy) {
    return controller.matcher().targets(proxy);
  }

  /**
   * The Pod a connecting proxy runs in, if the cluster has it: its labels, service account, node
   * and locality, which are more trustworthy than the proxy's own metadata.
   */
  public Optional<PodInfo> podForProxy(Proxy proxy) {
    return controller.matcher().podFor(proxy);
  }

  /**
   * The cluster's ready Pods as workloads a ServiceEntry {@code workloadSelector} can select, with
   * their changes (told on this registry's event thread, the initial sync included).
   */
  public WorkloadInstances workloadInstances() {
    return controller.workloads();
  }

  /** A namespace's labels (empty for unknown namespaces). */
  public Map<String, String> namespaceLabels(String namespace) {
    return controller.namespaceLabels(namespace);
  }

  /** Stops the informers and the event thread; the endpoints it wrote stay in the index. */
  @Override
  public void close() {
    closed = true;
    for (SharedIndexInformer<?> informer : informers) {
      try {
        informer.close();
      } catch (RuntimeException e) {
        log.debug("closing an informer failed", e);
      }
    }
    if (ownedExecutor != null) {
      ownedExecutor.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return "KubeServiceRegistry";
  }
}
