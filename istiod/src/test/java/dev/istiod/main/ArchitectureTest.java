package dev.istiod.main;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Keeps the module boundaries of DESIGN.md: model ← configstore ← serviceregistry; model ← xds. */
class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        // Test fixtures of other modules arrive as test-jars; tests may cross boundaries.
        .withImportOption(location -> !location.contains("-tests.jar"))
        .importPackages("dev.istiod");
  }

  @Test
  void model_dependsOnNoOtherModule() {
    noClasses().that().resideInAPackage("dev.istiod.model..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "dev.istiod.configstore..", "dev.istiod.serviceregistry..", "dev.istiod.xds..",
            "dev.istiod.ca..", "dev.istiod.webhook..", "dev.istiod.main..", "io.fabric8..")
        .check(classes);
  }

  @Test
  void xds_neverTouchesKubernetesOrConfigSources() {
    noClasses().that().resideInAPackage("dev.istiod.xds..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "io.fabric8..", "dev.istiod.configstore..", "dev.istiod.serviceregistry..", "dev.istiod.main..")
        .check(classes);
  }

  @Test
  void configstore_dependsOnlyOnModel() {
    noClasses().that().resideInAPackage("dev.istiod.configstore..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "dev.istiod.serviceregistry..", "dev.istiod.xds..", "dev.istiod.main..")
        .check(classes);
  }

  @Test
  void serviceregistry_neverTouchesXds() {
    noClasses().that().resideInAPackage("dev.istiod.serviceregistry..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.istiod.xds..", "dev.istiod.main..")
        .check(classes);
  }
}
