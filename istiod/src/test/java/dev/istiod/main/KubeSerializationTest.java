package dev.istiod.main;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

class KubeSerializationTest {
  private static final String POD = """
      {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns","labels":{"app":"a"},
       "managedFields":[{"manager":"kubelet","operation":"Update","fieldsType":"FieldsV1",
         "fieldsV1":{"f:status":{"f:conditions":{".":{}}}}}]},
       "spec":{"nodeName":"n","containers":[{"name":"c","ports":[{"containerPort":80}]}]},
       "status":{"podIP":"10.0.0.1","phase":"Running"}}
      """;

  private final KubernetesSerialization serialization = KubeSerialization.withoutManagedFields();

  @Test
  void unmarshal_skipsManagedFields_keepsEverythingElse() {
    Pod pod = serialization.unmarshal(POD, Pod.class);

    assertThat(pod.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(pod.getMetadata().getAdditionalProperties()).doesNotContainKey("managedFields");
    assertThat(pod.getMetadata().getLabels()).containsEntry("app", "a");
    assertThat(pod.getSpec().getContainers().get(0).getPorts().get(0).getContainerPort()).isEqualTo(80);
    assertThat(pod.getStatus().getPodIP()).isEqualTo("10.0.0.1");
  }

  @Test
  void unmarshal_genericResource_skipsManagedFields() {
    GenericKubernetesResource r = serialization.unmarshal(POD, GenericKubernetesResource.class);

    assertThat(r.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(r.getMetadata().getName()).isEqualTo("p");
    assertThat(r.getAdditionalProperties()).containsKey("spec");
  }

  @Test
  void unmarshal_polymorphicByKind_stillPicksTheModelClass() {
    Object o = serialization.unmarshal(POD);

    assertThat(o).isInstanceOf(Pod.class);
    assertThat(((Pod) o).getMetadata().getManagedFields()).isNullOrEmpty();
  }
}
