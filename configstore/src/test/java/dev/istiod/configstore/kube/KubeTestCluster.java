package dev.istiod.configstore.kube;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.istiod.configstore.KindRegistry;
import dev.istiod.configstore.kube.crd.CrdGenerator;
import dev.istiod.model.Kind;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionConditionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;

/** Test helpers over a (mock) cluster: install the generated CRDs, write Istio objects as YAML. */
final class KubeTestCluster {
  /** Held so the level sticks: the mock server logs every request at INFO through JUL. */
  private static final java.util.logging.Logger MOCK_SERVER_LOG = quiet("io.fabric8.mockwebserver");

  private final KubernetesClient client;

  private static java.util.logging.Logger quiet(String name) {
    java.util.logging.Logger l = java.util.logging.Logger.getLogger(name);
    l.setLevel(java.util.logging.Level.WARNING);
    return l;
  }

  KubeTestCluster(KubernetesClient client) {
    this.client = client;
  }

  /** The generated CRD of the kind, as a fabric8 object. */
  CustomResourceDefinition crd(Kind kind) {
    ObjectNode node = CrdGenerator.crds(KindRegistry.istio()).stream()
        .filter(c -> c.path("spec").path("names").path("kind").asText().equals(kind.kindName()))
        .findFirst().orElseThrow();
    return client.getKubernetesSerialization().convertValue(node, CustomResourceDefinition.class);
  }

  /** Creates the CRD and reports it Established, as the apiserver does a moment after creation. */
  void install(CustomResourceDefinition crd) {
    client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
    established(crd.getMetadata().getName());
  }

  void install(Kind... kinds) {
    for (Kind k : kinds) {
      install(crd(k));
    }
  }

  void established(String crdName) {
    CustomResourceDefinition stored = client.apiextensions().v1().customResourceDefinitions().withName(crdName).get();
    stored.setStatus(new CustomResourceDefinitionStatusBuilder()
        .withConditions(new CustomResourceDefinitionConditionBuilder()
            .withType("Established").withStatus("True").build())
        .build());
    client.apiextensions().v1().customResourceDefinitions().resource(stored).updateStatus();
  }

  void uninstall(Kind kind) {
    client.apiextensions().v1().customResourceDefinitions().withName(KubeConfigStore.crdName(kind)).delete();
  }

  static ResourceDefinitionContext context(Kind kind, String version) {
    return new ResourceDefinitionContext.Builder().withGroup(kind.group()).withVersion(version)
        .withKind(kind.kindName()).withPlural(kind.plural()).withNamespaced(true).build();
  }

  /** Creates or replaces an object given as YAML (its apiVersion picks the version written). */
  GenericKubernetesResource apply(Kind kind, String yaml) {
    GenericKubernetesResource r = client.getKubernetesSerialization().unmarshal(yaml, GenericKubernetesResource.class);
    String version = r.getApiVersion().substring(r.getApiVersion().indexOf('/') + 1);
    return client.genericKubernetesResources(context(kind, version))
        .inNamespace(r.getMetadata().getNamespace()).resource(r).createOr(op -> op.update());
  }

  void delete(Kind kind, String namespace, String name) {
    client.genericKubernetesResources(context(kind, "v1")).inNamespace(namespace).withName(name).delete();
  }
}
