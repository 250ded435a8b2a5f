package dev.istiod.configstore.kube;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import dev.istiod.model.Kind;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The informer of one Istio kind at one API version. Its event handler only names the object
 * that changed; the store's queue then reads the object's current state from the informer's
 * cache, so events processed late or twice still converge on what the apiserver holds.
 */
final class KindWatch {
  private static final Logger log = LoggerFactory.getLogger(KindWatch.class);

  /** An object of this watch changed (or is gone); namespace and name say which. */
  record Change(KindWatch watch, String namespace, String name) {}

  private final Kind kind;
  private final String version;
  private final SharedIndexInformer<GenericKubernetesResource> informer;
  private volatile boolean synced;

  private KindWatch(Kind kind, String version, SharedIndexInformer<GenericKubernetesResource> informer) {
    this.kind = kind;
    this.version = version;
    this.informer = informer;
  }

  /**
   * Creates and starts the informer. {@code onChange} runs on fabric8's informer thread and
   * must only enqueue; {@code onSynced} likewise, once the initial list is in the cache (the
   * store then applies the whole cache and calls {@link #markSynced()}).
   */
  static KindWatch start(KubernetesClient client, Kind kind, String version, Consumer<Change> onChange,
      Consumer<KindWatch> onSynced) {
    ResourceDefinitionContext context = new ResourceDefinitionContext.Builder()
        .withGroup(kind.group())
        .withVersion(version)
        .withKind(kind.kindName())
        .withPlural(kind.plural())
        .withNamespaced(true)
        .build();
    SharedIndexInformer<GenericKubernetesResource> informer =
        client.genericKubernetesResources(context).inAnyNamespace().runnableInformer(0);
    KindWatch watch = new KindWatch(kind, version, informer);
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(GenericKubernetesResource obj) {
        changed(obj);
      }

      @Override
      public void onUpdate(GenericKubernetesResource oldObj, GenericKubernetesResource newObj) {
        changed(newObj);
      }

      @Override
      public void onDelete(GenericKubernetesResource obj, boolean finalStateUnknown) {
        changed(obj);
      }

      private void changed(HasMetadata obj) {
        onChange.accept(new Change(watch, obj.getMetadata().getNamespace(), obj.getMetadata().getName()));
      }
    });
    // Like client-go's reflector: keep listing and watching through apiserver outages and
    // errors, before and after the first sync, rather than give up on the kind.
    informer.exceptionHandler((started, t) -> {
      log.warn("{} informer ({}): {}; retrying", kind.kindName(), version, t.toString());
      return true;
    });
    informer.start().whenComplete((ok, err) -> {
      if (err == null) {
        onSynced.accept(watch);
      } else {
        log.warn("{} informer ({}) did not start: {}", kind.kindName(), version, err.toString());
      }
    });
    return watch;
  }

  Kind kind() {
    return kind;
  }

  String version() {
    return version;
  }

  /** True once the store has applied the informer's initial list (set on the store's queue). */
  boolean hasSynced() {
    return synced;
  }

  void markSynced() {
    synced = true;
  }

  /** The cached object, or null if the informer does not hold it (deleted, or not yet listed). */
  GenericKubernetesResource cached(String namespace, String name) {
    return informer.getStore().getByKey(Objects.requireNonNullElse(namespace, "") + "/" + name);
  }

  List<GenericKubernetesResource> cachedAll() {
    return informer.getStore().list();
  }

  void stop() {
    informer.stop();
  }
}
