package dev.istiod.ca.distribution;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the mesh trust bundle as the ConfigMap {@code istio-ca-root-cert} (key
 * {@code root-cert.pem}, label {@code istio.io/config: "true"}) in every namespace except
 * kube-public, kube-node-lease and local-path-storage — upstream's namespace controller; sidecars
 * mount it at {@code /var/run/secrets/istio}.
 *
 * <p>A namespace is (re)written when it appears, when the trust bundle changes
 * ({@link #rootsChanged()}), and when its ConfigMap drifts (edited or deleted by someone else).
 * All writes run on one serial executor, so two events for a namespace never race; a failed write
 * is retried later.
 */
public final class RootCertPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RootCertPublisher.class);
  public static final String DEFAULT_CONFIGMAP = "istio-ca-root-cert";
  public static final String DATA_KEY = "root-cert.pem";
  static final Map<String, String> LABELS = Map.of("istio.io/config", "true");
  static final Set<String> EXCLUDED = Set.of("kube-public", "kube-node-lease", "local-path-storage");
  private static final Duration RETRY = Duration.ofSeconds(5);

  private final KubernetesClient client;
  private final String configMapName;
  private final Supplier<String> rootsPem;
  private final ScheduledExecutorService executor;
  private final SharedIndexInformer<Namespace> namespaces;
  private final SharedIndexInformer<ConfigMap> configMaps;
  // Set by close(): writes still queued on the (shared) executor are dropped, so a publisher that
  // lost leadership never writes again.
  private volatile boolean closed;

  /**
   * @param configMapName {@code PILOT_CA_CERT_CONFIGMAP} (default {@value #DEFAULT_CONFIGMAP})
   * @param rootsPem the trust bundle to publish, read at each write
   * @param executor a single-threaded executor owned by the caller
   */
  public RootCertPublisher(KubernetesClient client, String configMapName, Supplier<String> rootsPem,
      ScheduledExecutorService executor) {
    this.client = Objects.requireNonNull(client, "client");
    this.configMapName = Objects.requireNonNull(configMapName, "configMapName");
    this.rootsPem = Objects.requireNonNull(rootsPem, "rootsPem");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.namespaces = client.namespaces().runnableInformer(0);
    this.configMaps = client.configMaps().inAnyNamespace().withField("metadata.name", configMapName)
        .runnableInformer(0);
    // fabric8 gives up on an informer whose first LIST fails; keep trying, as client-go does.
    namespaces.exceptionHandler((started, t) -> {
      log.warn("Namespace informer of the root-cert publisher: {}; retrying", t.toString());
      return true;
    });
    configMaps.exceptionHandler((started, t) -> {
      log.warn("ConfigMap informer of the root-cert publisher: {}; retrying", t.toString());
      return true;
    });
  }

  /** Starts both informers; every existing namespace is synced as the informer lists it. */
  public void start() {
    namespaces.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Namespace ns) {
        enqueue(ns.getMetadata().getName());
      }

      @Override
      public void onUpdate(Namespace oldNs, Namespace ns) {
        enqueue(ns.getMetadata().getName());
      }

      @Override
      public void onDelete(Namespace ns, boolean unknownFinalState) {}
    });
    configMaps.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(ConfigMap cm) {
        if (!rootsPem.get().equals(data(cm))) {
          enqueue(cm.getMetadata().getNamespace());
        }
      }

      @Override
      public void onUpdate(ConfigMap oldCm, ConfigMap cm) {
        if (!rootsPem.get().equals(data(cm))) {
          enqueue(cm.getMetadata().getNamespace());
        }
      }

      @Override
      public void onDelete(ConfigMap cm, boolean unknownFinalState) {
        enqueue(cm.getMetadata().getNamespace());
      }
    });
    configMaps.start();
    namespaces.start();
  }

  public boolean hasSynced() {
    return namespaces.hasSynced() && configMaps.hasSynced();
  }

  /** The trust bundle changed: rewrite every namespace. */
  public void rootsChanged() {
    for (String ns : namespaces.getIndexer().listKeys()) {
      enqueue(ns);
    }
  }

  private void enqueue(String namespace) {
    if (closed || EXCLUDED.contains(namespace)) {
      return;
    }
    executor.execute(() -> syncQuietly(namespace));
  }

  private void syncQuietly(String namespace) {
    if (closed) {
      return;
    }
    try {
      sync(namespace);
    } catch (KubernetesClientException e) {
      log.warn("cannot write ConfigMap {}/{} (HTTP {}), retrying in {}: {}", namespace, configMapName, e.getCode(), RETRY,
          e.getStatus() == null ? e.getClass().getSimpleName() : e.getStatus().getMessage());
      executor.schedule(() -> syncQuietly(namespace), RETRY.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      log.error("cannot write ConfigMap {}/{}: {}", namespace, configMapName, e.toString());
    }
  }

  /** Makes the namespace's ConfigMap carry the current bundle; no write when it already does. */
  void sync(String namespace) {
    Namespace ns = namespaces.getIndexer().getByKey(namespace);
    if (ns == null || (ns.getStatus() != null && "Terminating".equals(ns.getStatus().getPhase()))) {
      return;
    }
    String desired = rootsPem.get();
    ConfigMap cached = configMaps.getIndexer().getByKey(namespace + "/" + configMapName);
    if (cached != null && desired.equals(data(cached)) && hasLabels(cached)) {
      return;
    }
    ConfigMap live = client.configMaps().inNamespace(namespace).withName(configMapName).get();
    if (live == null) {
      try {
        client.configMaps().inNamespace(namespace).resource(new ConfigMapBuilder()
            .withNewMetadata().withName(configMapName).withNamespace(namespace).withLabels(LABELS).endMetadata()
            .withData(Map.of(DATA_KEY, desired)).build()).create();
        log.info("created ConfigMap {}/{}", namespace, configMapName);
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
        live = client.configMaps().inNamespace(namespace).withName(configMapName).get();
        if (live == null) {
          throw e;
        }
      }
    }
    if (desired.equals(data(live)) && hasLabels(live)) {
      return;
    }
    Map<String, String> labels = new HashMap<>(live.getMetadata().getLabels() == null ? Map.of()
        : live.getMetadata().getLabels());
    labels.putAll(LABELS);
    Map<String, String> data = new HashMap<>(live.getData() == null ? Map.of() : live.getData());
    data.put(DATA_KEY, desired);
    ConfigMap updated = new ConfigMapBuilder(live).editMetadata().withLabels(labels).endMetadata().withData(data).build();
    client.configMaps().inNamespace(namespace).resource(updated).update();
    log.info("updated ConfigMap {}/{}", namespace, configMapName);
  }

  private static String data(ConfigMap cm) {
    return cm.getData() == null ? null : cm.getData().get(DATA_KEY);
  }

  private static boolean hasLabels(ConfigMap cm) {
    Map<String, String> l = cm.getMetadata().getLabels();
    return l != null && "true".equals(l.get("istio.io/config"));
  }

  /** Stops watching and writing; queued writes are dropped. A closed publisher cannot start again. */
  @Override
  public void close() {
    closed = true;
    namespaces.close();
    configMaps.close();
  }
}
