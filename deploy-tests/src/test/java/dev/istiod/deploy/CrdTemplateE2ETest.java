package dev.istiod.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The base chart renders the generated CRDs as they are, and its validator as upstream decides it. */
@Tag("e2e")
class CrdTemplateE2ETest {
  private static final String CRD_FILE = "deploy/charts/base/files/crd-all.gen.yaml";

  @Test
  void crdsAreTheGeneratedOnesWithTheChartsLabels() {
    List<ObjectNode> generated = Manifests.ofKind(Manifests.parse(Repo.read(Repo.root().resolve(CRD_FILE))),
        "CustomResourceDefinition");
    List<ObjectNode> rendered = Manifests.ofKind(Manifests.parse(Helm.template("base").orFail().stdout()),
        "CustomResourceDefinition");

    assertThat(generated).isNotEmpty();
    Map<String, ObjectNode> byName = rendered.stream()
        .collect(Collectors.toMap(Manifests::name, Function.identity()));
    assertThat(byName.keySet()).containsExactlyInAnyOrderElementsOf(generated.stream().map(Manifests::name).toList());
    for (ObjectNode crd : generated) {
      ObjectNode out = byName.get(Manifests.name(crd));
      assertThat(out.get("spec")).as("spec of %s", Manifests.name(crd)).isEqualTo(crd.get("spec"));
      assertThat(out.path("metadata").path("annotations")).isEqualTo(crd.path("metadata").path("annotations"));
      assertThat(out.path("metadata").path("labels").path("app.kubernetes.io/instance").asText()).isEqualTo("base");
      // Uninstalling the chart must not delete everyone's Istio configuration with the CRDs.
      assertThat(out.path("metadata").path("annotations").path("helm.sh/resource-policy").asText()).isEqualTo("keep");
    }
  }

  @Test
  void excludedCrdsAreLeftOut() {
    List<ObjectNode> rendered = Manifests.parse(Helm.template("base",
        "--set", "base.excludedCRDs={envoyfilters.networking.istio.io,sidecars.networking.istio.io}").orFail().stdout());
    List<String> names = Manifests.ofKind(rendered, "CustomResourceDefinition").stream().map(Manifests::name).toList();
    assertThat(names).isNotEmpty()
        .doesNotContain("envoyfilters.networking.istio.io", "sidecars.networking.istio.io")
        .contains("virtualservices.networking.istio.io");
  }

  @Test
  void withoutCrdTemplatesTheFileIsRenderedAsItIs() {
    // The file's documents, static labels included (Helm only adds "# Source:" comments between them).
    List<ObjectNode> rendered = Manifests.ofKind(Manifests.parse(
        Helm.template("base", "--set", "base.enableCRDTemplates=false").orFail().stdout()), "CustomResourceDefinition");
    List<ObjectNode> file = Manifests.ofKind(Manifests.parse(Repo.read(Repo.root().resolve(CRD_FILE))),
        "CustomResourceDefinition");
    assertThat(rendered).isNotEmpty().isEqualTo(file);
  }

  @Test
  void validatorFailsOpenOnInstallAndKeepsIstiodsChoiceOnUpgrade() {
    ObjectNode install = Manifests.find(Manifests.parse(Helm.template("base").orFail().stdout()),
        "ValidatingWebhookConfiguration", "istiod-default-validator").orElseThrow();
    assertThat(install.at("/webhooks/0/failurePolicy").asText()).isEqualTo("Ignore");

    // istiod flips failurePolicy to Fail once it serves /validate; an upgrade must not flip it back.
    ObjectNode upgrade = Manifests.find(Manifests.parse(Helm.template("base", "--is-upgrade").orFail().stdout()),
        "ValidatingWebhookConfiguration", "istiod-default-validator").orElseThrow();
    assertThat(upgrade.at("/webhooks/0").has("failurePolicy")).isFalse();
  }

  @Test
  void noDefaultRevisionMeansNoDefaultValidator() {
    List<ObjectNode> rendered = Manifests.parse(Helm.template("base", "--set", "defaultRevision=").orFail().stdout());
    assertThat(Manifests.ofKind(rendered, "ValidatingWebhookConfiguration")).isEmpty();
    assertThat(Manifests.ofKind(rendered, "CustomResourceDefinition")).isNotEmpty();
  }
}
