package dev.istiod.webhook.inject;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The injector's settings from the {@code istio-sidecar-injector[-<rev>]} ConfigMap, kept
 * current by an informer. Until the ConfigMap is seen, and after it is deleted, the chart's
 * defaults apply; a ConfigMap that cannot be read is logged and the last good settings stay.
 */
public final class InjectorConfigMapWatcher implements Supplier<InjectionSettings>, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(InjectorConfigMapWatcher.class);

  private final AtomicReference<InjectionSettings> current = new AtomicReference<>(InjectionSettings.defaults());
  private final SharedIndexInformer<ConfigMap> informer;
  private final String name;

  private InjectorConfigMapWatcher(KubernetesClient client, String namespace, String name) {
    this.name = name;
    this.informer = client.configMaps().inNamespace(namespace).withName(name).runnableInformer(0);
    // fabric8 gives up on an informer whose first LIST fails; keep trying, as client-go does.
    informer.exceptionHandler((started, t) -> {
      log.warn("ConfigMap {} informer: {}; retrying", name, t.toString());
      return true;
    });
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(ConfigMap cm) {
        load(cm);
      }

      @Override
      public void onUpdate(ConfigMap oldCm, ConfigMap newCm) {
        load(newCm);
      }

      @Override
      public void onDelete(ConfigMap cm, boolean deletedFinalStateUnknown) {
        log.warn("injector ConfigMap {} deleted; injecting with the chart's defaults", name);
        current.set(InjectionSettings.defaults());
      }
    });
  }

  /**
   * Starts watching.
   *
   * @param name {@code istio-sidecar-injector}, or {@code istio-sidecar-injector-<rev>}
   */
  public static InjectorConfigMapWatcher start(KubernetesClient client, String namespace, String name) {
    InjectorConfigMapWatcher w = new InjectorConfigMapWatcher(Objects.requireNonNull(client, "client"),
        Objects.requireNonNull(namespace, "namespace"), Objects.requireNonNull(name, "name"));
    w.informer.start();
    return w;
  }

  /** The name upstream gives the ConfigMap for a revision. */
  public static String configMapName(String revision) {
    return revision.isEmpty() || revision.equals("default") ? "istio-sidecar-injector"
        : "istio-sidecar-injector-" + revision;
  }

  public boolean hasSynced() {
    return informer.hasSynced();
  }

  @Override
  public InjectionSettings get() {
    return current.get();
  }

  private void load(ConfigMap cm) {
    Map<String, String> data = cm.getData() == null ? Map.of() : cm.getData();
    try {
      current.set(InjectionSettings.fromConfigMap(data));
      log.info("injector settings loaded from ConfigMap {}", name);
    } catch (IllegalArgumentException e) {
      log.error("injector ConfigMap {} cannot be read, keeping the previous settings: {}", name, e.getMessage());
    }
  }

  @Override
  public void close() {
    informer.close();
  }
}
