package dev.istiod.configstore.kube;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.model.MeshConfigs;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh config of a cluster: the {@code mesh} key of istiod's ConfigMap ({@code istio}, or
 * {@code istio-<revision>}) applied over upstream's defaults ({@link MeshConfigs#parse}), as
 * upstream istiod reads it, kept current by an informer on that one ConfigMap.
 *
 * <p>A missing ConfigMap, or one without the key, means the defaults. A ConfigMap whose mesh
 * config does not parse is logged and ignored: the previous mesh config stays in force, and
 * {@link #lastError()} says why. The listener is called, one call at a time, each time the
 * effective mesh config changes (not for the defaults in force before the first read).
 */
public final class MeshConfigWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MeshConfigWatcher.class);
  /** The ConfigMap key holding the mesh config YAML. */
  public static final String MESH_KEY = "mesh";

  private final KubernetesClient client;
  private final String namespace;
  private final String configMapName;
  private final Consumer<MeshConfig> listener;
  private final Object lock = new Object();
  private volatile SharedIndexInformer<ConfigMap> informer;
  private volatile MeshConfig current = MeshConfigs.defaults();
  private volatile String lastError;
  private volatile boolean synced;
  /** Guarded by lock: the ConfigMap text last applied or rejected, to log each problem once. */
  private String lastText;
  /** Guarded by lock. */
  private boolean lastPresent;
  /** Guarded by lock. */
  private boolean readOnce;

  public MeshConfigWatcher(KubernetesClient client, String namespace, String configMapName,
      Consumer<MeshConfig> listener) {
    this.client = Objects.requireNonNull(client, "client");
    this.namespace = Objects.requireNonNull(namespace, "namespace");
    this.configMapName = Objects.requireNonNull(configMapName, "configMapName");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /** Upstream's ConfigMap name for a revision: {@code istio}, or {@code istio-<revision>}. */
  public static String configMapName(String revision) {
    return revision == null || revision.isEmpty() || revision.equals("default") ? "istio" : "istio-" + revision;
  }

  /** Starts watching; returns at once. {@link #hasSynced()} says when the ConfigMap was first read. */
  public void start() {
    SharedIndexInformer<ConfigMap> inf =
        client.configMaps().inNamespace(namespace).withName(configMapName).runnableInformer(0);
    inf.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(ConfigMap obj) {
        refresh();
      }

      @Override
      public void onUpdate(ConfigMap oldObj, ConfigMap newObj) {
        refresh();
      }

      @Override
      public void onDelete(ConfigMap obj, boolean finalStateUnknown) {
        refresh();
      }
    });
    inf.exceptionHandler((isStarted, t) -> {
      log.warn("mesh ConfigMap {}/{} informer: {}; retrying", namespace, configMapName, t.toString());
      return true;
    });
    informer = inf;
    inf.start().whenComplete((ok, err) -> {
      if (err != null) {
        log.warn("mesh ConfigMap {}/{} informer did not start: {}", namespace, configMapName, err.toString());
        return;
      }
      refresh();
      synced = true;
    });
  }

  /** The mesh config in force: the defaults until the ConfigMap has been read. */
  public MeshConfig current() {
    return current;
  }

  public boolean hasSynced() {
    return synced;
  }

  /** Why the ConfigMap's current mesh config is being ignored, if it is. */
  public Optional<String> lastError() {
    return Optional.ofNullable(lastError);
  }

  /** Re-reads the ConfigMap from the informer's cache and applies it; safe from any thread. */
  private void refresh() {
    SharedIndexInformer<ConfigMap> inf = informer;
    if (inf == null) {
      return;
    }
    ConfigMap cm = inf.getStore().getByKey(namespace + "/" + configMapName);
    String text = cm == null || cm.getData() == null ? null : cm.getData().get(MESH_KEY);
    synchronized (lock) {
      apply(cm != null, text);
    }
  }

  private void apply(boolean present, String text) {
    boolean unchanged = readOnce && Objects.equals(text, lastText) && present == lastPresent;
    readOnce = true;
    lastText = text;
    lastPresent = present;
    if (unchanged) {
      return;
    }
    MeshConfig next;
    if (text == null) {
      if (present) {
        log.info("ConfigMap {}/{} has no '{}' key; using the default mesh config", namespace, configMapName, MESH_KEY);
      } else {
        log.info("ConfigMap {}/{} not found; using the default mesh config", namespace, configMapName);
      }
      next = MeshConfigs.defaults();
    } else {
      try {
        next = MeshConfigs.parse(text);
      } catch (IllegalArgumentException e) {
        lastError = e.getMessage();
        log.warn("ConfigMap {}/{} key '{}': {}; keeping the previous mesh config", namespace, configMapName,
            MESH_KEY, e.getMessage());
        return;
      }
    }
    lastError = null;
    if (next.equals(current)) {
      return;
    }
    current = next;
    log.info("mesh config from ConfigMap {}/{} applied", namespace, configMapName);
    try {
      listener.accept(next);
    } catch (RuntimeException e) {
      log.warn("mesh config listener failed", e);
    }
  }

  @Override
  public void close() {
    SharedIndexInformer<ConfigMap> inf = informer;
    if (inf != null) {
      inf.stop();
    }
  }
}
