package dev.istiod.serviceregistry.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.function.UnaryOperator;

/**
 * An informer cache that keeps of each object only what the registry reads: Pods as {@link LeanPod}s; other
 * kinds without {@code metadata.managedFields} (server-side apply bookkeeping, as upstream's informers strip
 * it; istiod's own client already skips it while parsing, a client without that does not). The handlers and the
 * registry only ever see the kept object.
 */
final class TrimmingItemStore<T extends HasMetadata> extends BasicItemStore<T> {
  private final UnaryOperator<T> trim;

  private TrimmingItemStore(UnaryOperator<T> trim) {
    super(Cache::metaNamespaceKeyFunc);
    this.trim = trim;
  }

  /** Drops managed fields only. */
  static <T extends HasMetadata> TrimmingItemStore<T> withoutManagedFields() {
    return new TrimmingItemStore<>(obj -> {
      if (obj.getMetadata() != null) {
        obj.getMetadata().setManagedFields(null);
      }
      return obj;
    });
  }

  /** Keeps a {@link LeanPod} of each Pod. */
  static TrimmingItemStore<io.fabric8.kubernetes.api.model.Pod> leanPods() {
    return new TrimmingItemStore<>(LeanPod::of);
  }

  @Override
  public T put(String key, T obj) {
    return super.put(key, obj == null ? null : trim.apply(obj));
  }
}
