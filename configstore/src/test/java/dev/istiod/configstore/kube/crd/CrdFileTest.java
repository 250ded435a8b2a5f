package dev.istiod.configstore.kube.crd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.istiod.configstore.KindRegistry;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The checked-in {@code deploy/charts/base/files/crd-all.gen.yaml} is what the generator makes of
 * today's protos. {@code -Dgolden.update=true} rewrites it (review the diff like code).
 */
class CrdFileTest {
  private static final boolean UPDATE = "true".equals(System.getProperty("golden.update"));

  private static Path chartFile() {
    // Surefire runs in the module directory; the deploy tree is beside it.
    Path module = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
    return module.resolveSibling("deploy").resolve("charts/base/files/crd-all.gen.yaml").normalize();
  }

  @Test
  void checkedInFile_isUpToDate() throws IOException {
    String generated = CrdGenerator.yaml(KindRegistry.istio());
    Path file = chartFile();
    if (UPDATE) {
      Files.createDirectories(file.getParent());
      Files.writeString(file, generated, StandardCharsets.UTF_8);
      return;
    }
    if (!Files.exists(file)) {
      fail(file + " is missing; generate it with -Dgolden.update=true");
    }
    String checkedIn = Files.readString(file, StandardCharsets.UTF_8);
    if (!checkedIn.equals(generated)) {
      fail(file + " is stale: the Istio API protos or the CRD generator changed. Regenerate it with\n"
          + "  mvn -o -pl configstore test -Dtest=CrdFileTest -Dgolden.update=true\n"
          + "and commit the result. First difference near line " + firstDifferentLine(checkedIn, generated));
    }
  }

  @Test
  void file_readsBackAsApiextensionsV1Crds() throws IOException {
    String text = CrdGenerator.yaml(KindRegistry.istio());
    // Split the way the base chart's template does.
    List<String> docs = Arrays.asList(text.split("\n---\n"));
    KubernetesSerialization serialization = new KubernetesSerialization();
    assertThat(docs).hasSize(KindRegistry.istio().schemas().size());
    for (String doc : docs) {
      CustomResourceDefinition crd = serialization.unmarshal(doc, CustomResourceDefinition.class);
      assertThat(crd.getApiVersion()).isEqualTo("apiextensions.k8s.io/v1");
      assertThat(crd.getMetadata().getName())
          .isEqualTo(crd.getSpec().getNames().getPlural() + "." + crd.getSpec().getGroup());
      assertThat(crd.getSpec().getVersions()).allSatisfy(v ->
          assertThat(v.getSchema().getOpenAPIV3Schema().getProperties()).containsKeys("spec", "status"));
      assertThat(crd.getSpec().getVersions().stream().filter(v -> v.getStorage()).count()).isEqualTo(1);
    }
  }

  private static int firstDifferentLine(String a, String b) {
    String[] x = a.split("\n", -1);
    String[] y = b.split("\n", -1);
    for (int i = 0; i < Math.min(x.length, y.length); i++) {
      if (!x[i].equals(y[i])) {
        return i + 1;
      }
    }
    return Math.min(x.length, y.length) + 1;
  }
}
