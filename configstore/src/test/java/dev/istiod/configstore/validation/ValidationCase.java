package dev.istiod.configstore.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.configstore.TestConfigs;
import dev.istiod.model.Config;
import dev.istiod.model.Kind;
import java.util.List;

/**
 * One row of a validation table: a spec (YAML) and exactly the errors and warnings expected.
 */
record ValidationCase(String name, Kind kind, String metadata, String spec, List<String> errors,
    List<String> warnings) {

  static ValidationCase valid(Kind kind, String name, String spec) {
    return new ValidationCase(name, kind, "", spec, List.of(), List.of());
  }

  static ValidationCase invalid(Kind kind, String name, String spec, String... errors) {
    return new ValidationCase(name, kind, "", spec, List.of(errors), null);
  }

  static ValidationCase warns(Kind kind, String name, String spec, String... warnings) {
    return new ValidationCase(name, kind, "", spec, List.of(), List.of(warnings));
  }

  ValidationCase withMetadata(String metadataYaml) {
    return new ValidationCase(name, kind, metadataYaml, spec, errors, warnings);
  }

  /** Expected errors and warnings together. */
  ValidationCase andWarns(String... w) {
    return new ValidationCase(name, kind, metadata, spec, errors, List.of(w));
  }

  void check() {
    Config config = TestConfigs.config(kind, "test", metadata, spec);
    ValidationResult result = TestConfigs.REGISTRY.validate(config);
    assertThat(result.errors()).as("errors").containsExactlyInAnyOrderElementsOf(errors);
    if (warnings != null) {
      assertThat(result.warnings()).as("warnings").containsExactlyInAnyOrderElementsOf(warnings);
    }
    assertThat(result.isValid()).isEqualTo(errors.isEmpty());
  }

  @Override
  public String toString() {
    return name;
  }
}
