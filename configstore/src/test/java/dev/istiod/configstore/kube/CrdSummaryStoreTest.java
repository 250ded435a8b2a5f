package dev.istiod.configstore.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.model.Kind;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import org.junit.jupiter.api.Test;

class CrdSummaryStoreTest {
  @Test
  void keptCrd_losesItsSchemas_butStillSaysWhichVersionToWatch() {
    CustomResourceDefinition crd = new CustomResourceDefinitionBuilder()
        .withNewMetadata().withName("virtualservices.networking.istio.io")
        .addToAnnotations("kubectl.kubernetes.io/last-applied-configuration", "{\"huge\": true}").endMetadata()
        .withNewSpec().withGroup("networking.istio.io")
        .addNewVersion().withName("v1alpha3").withServed(true).withStorage(false)
        .withNewSchema().withNewOpenAPIV3Schema().withType("object").endOpenAPIV3Schema().endSchema().endVersion()
        .addNewVersion().withName("v1").withServed(true).withStorage(true)
        .withNewSchema().withNewOpenAPIV3Schema().withType("object").endOpenAPIV3Schema().endSchema()
        .addNewAdditionalPrinterColumn().withName("Gateways").withJsonPath(".spec.gateways").endAdditionalPrinterColumn()
        .endVersion()
        .endSpec()
        .withNewStatus().addNewCondition().withType("Established").withStatus("True").endCondition().endStatus()
        .build();
    String choiceBefore = CrdVersions.choose(crd, dev.istiod.configstore.KindRegistry.istio().schema(Kind.VIRTUAL_SERVICE)).orElseThrow();

    CrdSummaryStore store = new CrdSummaryStore();
    store.put("virtualservices.networking.istio.io", crd);
    CustomResourceDefinition kept = store.get("virtualservices.networking.istio.io");

    assertThat(kept.getSpec().getVersions()).allSatisfy(v -> {
      assertThat(v.getSchema()).isNull();
      assertThat(v.getAdditionalPrinterColumns()).isNull();
    });
    assertThat(kept.getMetadata().getAnnotations()).isNull();
    assertThat(CrdVersions.choose(kept, dev.istiod.configstore.KindRegistry.istio().schema(Kind.VIRTUAL_SERVICE))).contains(choiceBefore);
    assertThat(choiceBefore).isEqualTo("v1");
  }
}
