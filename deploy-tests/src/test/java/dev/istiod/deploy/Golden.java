package dev.istiod.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Golden scenarios of the charts: deploy-tests/src/test/resources/golden/&lt;chart&gt;-&lt;case&gt;/values.yaml (values in)
 * and rendered.yaml (what {@code helm template} renders from them, release name = chart name, namespace
 * istio-system). {@code -Dgolden.update=true} rewrites rendered.yaml; review the diff before committing it.
 */
final class Golden {
  /** Stands in for each CRD's spec: CrdTemplateE2ETest proves the specs are the generated file's, unchanged. */
  static final String CRD_SPEC_ELIDED = "spec: {} # elided: deploy/charts/base/files/crd-all.gen.yaml, checked by CrdTemplateE2ETest";

  private Golden() {}

  static boolean update() {
    return Boolean.getBoolean("golden.update");
  }

  static Path dir() {
    return Repo.root().resolve("deploy-tests/src/test/resources/golden");
  }

  static List<String> scenarios() {
    try (Stream<Path> dirs = Files.list(dir())) {
      return dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String chartOf(String scenario) {
    return scenario.substring(0, scenario.indexOf('-'));
  }

  /**
   * The rendering with each CRD's spec (thousands of generated lines, owned by the CRD generator) replaced by
   * one line, so that a regenerated CRD file does not churn these goldens.
   */
  static String normalize(String rendered) {
    StringBuilder out = new StringBuilder();
    for (String doc : rendered.split("\n---\n", -1)) {
      if (!out.isEmpty()) {
        out.append("\n---\n");
      }
      int spec = doc.indexOf("\nspec:\n");
      if (doc.contains("\nkind: CustomResourceDefinition\n") && spec >= 0) {
        out.append(doc, 0, spec).append('\n').append(CRD_SPEC_ELIDED).append('\n');
      } else {
        out.append(doc);
      }
    }
    return out.toString();
  }

  /** Where two texts first differ, with a few lines of context: readable where a whole-file diff is not. */
  static String firstDifference(String expected, String actual) {
    String[] e = expected.split("\n", -1);
    String[] a = actual.split("\n", -1);
    int line = 0;
    while (line < e.length && line < a.length && e[line].equals(a[line])) {
      line++;
    }
    StringBuilder sb = new StringBuilder("first difference at line " + (line + 1) + ":\n");
    for (int i = Math.max(0, line - 3); i < line; i++) {
      sb.append("    ").append(e[i]).append('\n');
    }
    sb.append("  - ").append(line < e.length ? e[line] : "<end of file>").append('\n');
    sb.append("  + ").append(line < a.length ? a[line] : "<end of file>").append('\n');
    return sb.toString();
  }
}
