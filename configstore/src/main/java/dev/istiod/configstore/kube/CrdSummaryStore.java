package dev.istiod.configstore.kube;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;

/**
 * The CRD informer's cache, keeping of each CustomResourceDefinition what istiod reads ({@link CrdVersions}: its
 * name, deletion, served and storage versions, conditions) and dropping the rest before it is kept: the OpenAPI
 * schema of every version, printer columns, conversion settings, managed fields. The informer lists every CRD of
 * the cluster, not only Istio's; their schemas were most of the objects istiod held at rest (Istio's alone are
 * thousands of nested schema nodes), as upstream avoids by watching CRDs' metadata only.
 */
final class CrdSummaryStore extends BasicItemStore<CustomResourceDefinition> {
  CrdSummaryStore() {
    super(Cache::metaNamespaceKeyFunc);
  }

  @Override
  public CustomResourceDefinition put(String key, CustomResourceDefinition crd) {
    if (crd != null) {
      summarize(crd);
    }
    return super.put(key, crd);
  }

  /** Drops, in place, what {@link CrdVersions} never reads. */
  static void summarize(CustomResourceDefinition crd) {
    if (crd.getMetadata() != null) {
      crd.getMetadata().setManagedFields(null);
      crd.getMetadata().setAnnotations(null); // kubectl's last-applied copy holds the whole object again
    }
    if (crd.getSpec() == null) {
      return;
    }
    crd.getSpec().setConversion(null);
    if (crd.getSpec().getVersions() != null) {
      for (CustomResourceDefinitionVersion v : crd.getSpec().getVersions()) {
        v.setSchema(null);
        v.setAdditionalPrinterColumns(null);
        v.setSelectableFields(null);
      }
    }
  }
}
