package dev.istiod.configstore.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.istiod.configstore.ConfigDecoder;
import dev.istiod.configstore.ConfigError;
import dev.istiod.configstore.DecodeMode;
import dev.istiod.configstore.KindRegistry;
import dev.istiod.configstore.KindSchema;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigEvent;
import dev.istiod.model.ConfigEventHandler;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.ConfigStore;
import dev.istiod.model.Kind;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Istio config read from the Kubernetes API: one fabric8 informer per Istio kind, over the
 * kind's CRD, at the version the registry stores (or another both sides serve, for a cluster
 * with older CRDs).
 *
 * <p>Design. Every informer callback only enqueues "this object changed" onto <b>one queue
 * thread per store</b> (like Istio's {@code controllers.Queue}); that thread reads the object's
 * current state from the informer cache, decodes it leniently (fields of a newer Istio API are
 * ignored), validates it, updates the store and calls the handlers, in order, one event at a time.
 * Readers see a concurrent sorted map without locks. Invalid objects are reported and skipped,
 * keeping their last valid version ({@link ConfigCache}); {@link #errors()} lists them.
 *
 * <p>CRDs. The store watches CustomResourceDefinitions too. A kind whose CRD is missing (or not
 * yet Established) is empty, and its informer starts when the CRD appears; if the CRD goes, so do
 * the kind's configs. {@link #hasSynced()} is true once the CRD list and every kind present then
 * have been applied, and stays true.
 *
 * <p>Metadata. {@code resourceVersion}, {@code generation}, labels, annotations and
 * {@code creationTimestamp} are the apiserver's; the origin is {@code kubernetes}. An update that
 * changes none of labels, annotations and spec (a status write, say) refreshes the stored
 * metadata without an event.
 */
public final class KubeConfigStore implements ConfigStore, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubeConfigStore.class);

  private final KubernetesClient client;
  private final KindRegistry registry;
  private final ConfigCache cache;
  private final Map<String, Kind> kindsByCrdName = new HashMap<>();
  private final List<ConfigEventHandler> handlers = new CopyOnWriteArrayList<>();
  private final ExecutorService queue;
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Written on the queue thread; read by {@link #hasSynced()}. */
  private final Map<Kind, KindWatch> watches = new ConcurrentHashMap<>();
  /** Kinds whose missing CRD was already logged. Queue thread only. */
  private final Set<Kind> reportedMissing = new HashSet<>();
  private volatile SharedIndexInformer<CustomResourceDefinition> crdInformer;
  private volatile boolean crdsSynced;
  private volatile boolean synced;

  /** A store over every kind of {@code registry}; nothing is read until {@link #start()}. */
  public KubeConfigStore(KubernetesClient client, KindRegistry registry) {
    this.client = Objects.requireNonNull(client, "client");
    this.registry = Objects.requireNonNull(registry, "registry");
    this.cache = new ConfigCache(registry, new ConfigDecoder(registry, DecodeMode.LENIENT));
    for (KindSchema s : registry.schemas()) {
      kindsByCrdName.put(crdName(s.kind()), s.kind());
    }
    this.queue = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "kube-config-queue");
      t.setDaemon(true);
      return t;
    });
  }

  /** {@code virtualservices.networking.istio.io}: the name of a kind's CRD. */
  public static String crdName(Kind kind) {
    return kind.plural() + "." + kind.group();
  }

  /**
   * Starts watching CRDs, and through them every kind. Returns at once; {@link #hasSynced()}
   * says when the initial state is loaded. A missing apiserver is retried, not fatal.
   */
  public void start() {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("already started");
    }
    SharedIndexInformer<CustomResourceDefinition> informer =
        client.apiextensions().v1().customResourceDefinitions().runnableInformer(0);
    informer.itemStore(new CrdSummaryStore());
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(CustomResourceDefinition crd) {
        crdChanged(crd);
      }

      @Override
      public void onUpdate(CustomResourceDefinition oldCrd, CustomResourceDefinition crd) {
        crdChanged(crd);
      }

      @Override
      public void onDelete(CustomResourceDefinition crd, boolean finalStateUnknown) {
        crdChanged(crd);
      }

      private void crdChanged(CustomResourceDefinition crd) {
        Kind kind = kindsByCrdName.get(crd.getMetadata().getName());
        if (kind != null) {
          enqueue(() -> reconcileCrd(kind));
        }
      }
    });
    informer.exceptionHandler((isStarted, t) -> {
      log.warn("CRD informer: {}; retrying", t.toString());
      return true;
    });
    crdInformer = informer;
    informer.start().whenComplete((ok, err) -> {
      if (err != null) {
        log.warn("CRD informer did not start: {}", err.toString());
        return;
      }
      enqueue(() -> {
        kindsByCrdName.values().forEach(this::reconcileCrd);
        crdsSynced = true;
        updateSynced();
      });
    });
  }

  @Override
  public List<Config> list(Kind kind) {
    return cache.list(kind);
  }

  @Override
  public List<Config> list(Kind kind, String namespace) {
    return cache.list(kind, namespace);
  }

  @Override
  public Optional<Config> get(ConfigKey key) {
    return cache.get(key);
  }

  /** Handlers run on the store's queue thread, one event at a time, in order. */
  @Override
  public void addHandler(ConfigEventHandler handler) {
    handlers.add(Objects.requireNonNull(handler, "handler"));
  }

  @Override
  public boolean hasSynced() {
    return synced;
  }

  /** Objects in the cluster that are skipped now because they fail decoding or validation. */
  public List<ConfigError> errors() {
    return cache.errors();
  }

  /** The kinds being watched now (their CRD exists), with the API version read. */
  public Map<Kind, String> watchedVersions() {
    Map<Kind, String> out = new java.util.TreeMap<>();
    watches.forEach((k, w) -> out.put(k, w.version()));
    return out;
  }

  /** Queue thread: starts, switches or stops the kind's informer to match its CRD. */
  private void reconcileCrd(Kind kind) {
    SharedIndexInformer<CustomResourceDefinition> informer = crdInformer;
    if (informer == null || closed.get()) {
      return;
    }
    CustomResourceDefinition crd = informer.getStore().getByKey(crdName(kind));
    Optional<String> version = crd == null ? Optional.empty() : CrdVersions.choose(crd, registry.schema(kind));
    KindWatch current = watches.get(kind);
    if (version.isEmpty()) {
      if (current != null) {
        log.info("CRD {} is gone or no longer serves {}; dropping {} configs", crdName(kind),
            current.version(), kind.kindName());
        current.stop();
        watches.remove(kind);
        cache.retainOnly(kind, Set.of()).forEach(this::dispatch);
      } else if (reportedMissing.add(kind)) {
        log.info("CRD {} is not installed (or not established, or serves no version istiod reads); "
            + "{} configs will be read once it is", crdName(kind), kind.kindName());
      }
      return;
    }
    if (current != null && current.version().equals(version.get())) {
      return;
    }
    if (current != null) {
      current.stop();
    }
    reportedMissing.remove(kind);
    log.info("watching {} ({}/{})", kind.kindName(), kind.group(), version.get());
    watches.put(kind, KindWatch.start(client, kind, version.get(),
        change -> enqueue(() -> apply(change)),
        watch -> enqueue(() -> applyAll(watch))));
  }

  /** Queue thread: applies the current state of one object. */
  private void apply(KindWatch.Change change) {
    KindWatch watch = change.watch();
    if (watches.get(watch.kind()) != watch) {
      return; // from an informer since stopped or replaced
    }
    ConfigKey key = new ConfigKey(watch.kind(), change.namespace(), change.name());
    GenericKubernetesResource object = watch.cached(change.namespace(), change.name());
    Optional<ConfigEvent> event = object == null ? cache.delete(key) : cache.upsert(watch.kind(), toJson(watch, object));
    event.ifPresent(this::dispatch);
  }

  /** Queue thread: applies the informer's whole cache (its first list, or after a version switch). */
  private void applyAll(KindWatch watch) {
    if (watches.get(watch.kind()) != watch) {
      return;
    }
    Set<ConfigKey> present = new HashSet<>();
    for (GenericKubernetesResource object : watch.cachedAll()) {
      present.add(new ConfigKey(watch.kind(), object.getMetadata().getNamespace(), object.getMetadata().getName()));
      cache.upsert(watch.kind(), toJson(watch, object)).ifPresent(this::dispatch);
    }
    cache.retainOnly(watch.kind(), present).forEach(this::dispatch);
    watch.markSynced();
    log.info("{} synced: {} valid objects", watch.kind().kindName(), cache.list(watch.kind()).size());
    updateSynced();
  }

  private JsonNode toJson(KindWatch watch, GenericKubernetesResource object) {
    JsonNode node = client.getKubernetesSerialization().convertValue(object, JsonNode.class);
    if (node instanceof ObjectNode o) {
      // List items may come without type information; the decoder needs it.
      if (o.path("apiVersion").asText("").isEmpty()) {
        o.put("apiVersion", watch.kind().group() + "/" + watch.version());
      }
      if (o.path("kind").asText("").isEmpty()) {
        o.put("kind", watch.kind().kindName());
      }
    }
    return node;
  }

  private void updateSynced() {
    if (!synced && crdsSynced && watches.values().stream().allMatch(KindWatch::hasSynced)) {
      synced = true;
      log.info("Kubernetes config synced: watching {}", watchedVersions());
    }
  }

  private void dispatch(ConfigEvent event) {
    for (ConfigEventHandler h : handlers) {
      try {
        h.onEvent(event);
      } catch (RuntimeException e) {
        log.warn("config event handler failed on {} {}", event.type(), event.key(), e);
      }
    }
  }

  private void enqueue(Runnable task) {
    if (closed.get()) {
      return;
    }
    try {
      queue.execute(() -> {
        try {
          task.run();
        } catch (RuntimeException e) {
          log.error("Kubernetes config queue task failed; continuing", e);
        }
      });
    } catch (RejectedExecutionException e) {
      // closed meanwhile
    }
  }

  /** Stops every informer and the queue; what was read stays readable. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    // Drain the queue first, so no task starts an informer after the ones below are stopped.
    queue.shutdownNow();
    try {
      if (!queue.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("Kubernetes config queue did not stop within 5s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    SharedIndexInformer<CustomResourceDefinition> informer = crdInformer;
    if (informer != null) {
      informer.stop();
    }
    watches.values().forEach(KindWatch::stop);
  }
}
