package dev.istiod.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checks of the chart sources that need no helm binary (so they run in the default build): the shared helpers
 * stay identical in both charts, and every default in values.yaml is declared, with its type, in
 * values.schema.json (a default the schema does not know would make every install fail).
 */
class ChartFilesTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void sharedHelpersAreTheSameInBothCharts() {
    String base = Repo.read(Repo.chart("base").resolve("templates/_istio.tpl"));
    String istiod = Repo.read(Repo.chart("istiod").resolve("templates/_istio.tpl"));
    assertThat(istiod).as("deploy/charts/{base,istiod}/templates/_istio.tpl must be identical").isEqualTo(base);
    assertThat(Repo.read(Repo.chart("istiod").resolve("templates/zzz_profile.yaml")))
        .isEqualTo(Repo.read(Repo.chart("base").resolve("templates/zzz_profile.yaml")));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"base", "istiod"})
  void everyDefaultIsDeclaredInTheSchema(String chart) throws IOException {
    JsonNode values = YAML.readTree(Repo.chart(chart).resolve("values.yaml").toFile());
    JsonNode schema = JSON.readTree(Repo.chart(chart).resolve("values.schema.json").toFile());
    assertThat(values.fieldNames()).toIterable().containsExactly("_internal_defaults_do_not_set");

    List<String> problems = new ArrayList<>();
    check(schema, schema, values, "", problems);
    assertThat(problems).isEmpty();
  }

  /** A small subset of JSON Schema (type, properties, additionalProperties, $ref, enum): enough for defaults. */
  private static void check(JsonNode root, JsonNode schema, JsonNode value, String path, List<String> problems) {
    while (schema.has("$ref")) {
      schema = root.at(schema.get("$ref").asText().substring(1));
    }
    if (schema.has("type") && !typeMatches(schema.get("type"), value)) {
      problems.add(path + ": " + value.getNodeType() + " where the schema wants " + schema.get("type"));
      return;
    }
    if (schema.has("enum")) {
      boolean listed = false;
      for (JsonNode allowed : schema.get("enum")) {
        listed |= allowed.equals(value);
      }
      if (!listed) {
        problems.add(path + ": " + value + " is not one of " + schema.get("enum"));
      }
    }
    if (!value.isObject()) {
      return;
    }
    JsonNode properties = schema.path("properties");
    JsonNode additional = schema.get("additionalProperties");
    for (Map.Entry<String, JsonNode> field : value.properties()) {
      String child = path + "/" + field.getKey();
      if (properties.has(field.getKey())) {
        check(root, properties.get(field.getKey()), field.getValue(), child, problems);
      } else if (additional != null && additional.isBoolean() && !additional.asBoolean()) {
        problems.add(child + ": not declared in values.schema.json");
      } else if (additional != null && additional.isObject()) {
        check(root, additional, field.getValue(), child, problems);
      }
    }
  }

  private static boolean typeMatches(JsonNode type, JsonNode value) {
    if (type.isArray()) {
      for (JsonNode t : type) {
        if (typeMatches(t, value)) {
          return true;
        }
      }
      return false;
    }
    return switch (type.asText()) {
      case "object" -> value.isObject();
      case "array" -> value.isArray();
      case "string" -> value.isTextual();
      case "integer" -> value.isIntegralNumber();
      case "number" -> value.isNumber();
      case "boolean" -> value.isBoolean();
      case "null" -> value.isNull();
      default -> false;
    };
  }
}
