package dev.istiod.configstore.kube;

import dev.istiod.configstore.KindSchema;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionCondition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import java.util.List;
import java.util.Optional;

/** Which API version of a CRD istiod reads, if the CRD is usable at all. */
final class CrdVersions {
  private CrdVersions() {}

  /**
   * The version to watch: the registry's storage version when the CRD serves it; else the CRD's
   * own storage version, or any version it serves, that the registry also reads (a cluster with
   * older Istio CRDs). Empty while the CRD is not Established, is being deleted, or shares no
   * version with the registry.
   */
  static Optional<String> choose(CustomResourceDefinition crd, KindSchema schema) {
    if (crd.getMetadata().getDeletionTimestamp() != null || !established(crd) || crd.getSpec() == null) {
      return Optional.empty();
    }
    List<CustomResourceDefinitionVersion> served = crd.getSpec().getVersions().stream()
        .filter(v -> Boolean.TRUE.equals(v.getServed()))
        .toList();
    if (served.stream().anyMatch(v -> v.getName().equals(schema.storageVersion()))) {
      return Optional.of(schema.storageVersion());
    }
    Optional<String> storage = served.stream()
        .filter(v -> Boolean.TRUE.equals(v.getStorage()) && schema.serves(v.getName()))
        .map(CustomResourceDefinitionVersion::getName)
        .findFirst();
    if (storage.isPresent()) {
      return storage;
    }
    return served.stream().map(CustomResourceDefinitionVersion::getName).filter(schema::serves).findFirst();
  }

  /** The apiserver serves a CRD's resources only once it reports Established=True. */
  static boolean established(CustomResourceDefinition crd) {
    if (crd.getStatus() == null || crd.getStatus().getConditions() == null) {
      return false;
    }
    for (CustomResourceDefinitionCondition c : crd.getStatus().getConditions()) {
      if ("Established".equals(c.getType()) && "True".equals(c.getStatus())) {
        return true;
      }
    }
    return false;
  }
}
