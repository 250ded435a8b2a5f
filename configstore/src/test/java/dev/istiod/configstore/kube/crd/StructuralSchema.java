package dev.istiod.configstore.kube.crd;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The apiserver's rules for a structural schema (apiextensions.k8s.io/v1 requires one), checked
 * offline: every node says its type unless it keeps unknown fields or is int-or-string;
 * {@code properties} and {@code additionalProperties} are exclusive; arrays have {@code items};
 * and inside the logical junctors ({@code allOf}, {@code anyOf}, {@code oneOf}, {@code not}) only
 * value validations appear (no type, properties, items, nullable or x-kubernetes extensions),
 * except the exact {@code anyOf} that spells int-or-string.
 */
final class StructuralSchema {
  private static final Set<String> JUNCTORS = Set.of("allOf", "anyOf", "oneOf", "not");
  private static final Set<String> NOT_IN_JUNCTORS = Set.of("type", "properties", "additionalProperties",
      "items", "nullable", "default", "description", "x-kubernetes-preserve-unknown-fields",
      "x-kubernetes-int-or-string", "x-kubernetes-embedded-resource");
  private static final Set<String> KNOWN = Set.of("type", "format", "properties", "additionalProperties",
      "items", "nullable", "description", "enum", "minimum", "maximum", "required", "allOf", "anyOf",
      "oneOf", "not", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string");
  private static final Set<String> TYPES = Set.of("object", "array", "string", "integer", "number", "boolean");

  private final List<String> violations = new ArrayList<>();

  private StructuralSchema() {}

  /** Every violation, as {@code path: problem}; empty for a structural schema. */
  static List<String> violations(JsonNode root) {
    StructuralSchema s = new StructuralSchema();
    if (!"object".equals(root.path("type").asText())) {
      s.violations.add("<root>: type must be object");
    }
    s.node(root, "");
    return s.violations;
  }

  private void node(JsonNode n, String path) {
    if (!n.isObject()) {
      violations.add(path + ": schema is not an object");
      return;
    }
    n.fieldNames().forEachRemaining(f -> {
      if (!KNOWN.contains(f)) {
        violations.add(path + ": unexpected keyword " + f);
      }
    });
    boolean preserve = n.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
    boolean intOrString = n.path("x-kubernetes-int-or-string").asBoolean(false);
    String type = n.path("type").asText("");
    if (type.isEmpty() && !preserve && !intOrString) {
      violations.add(path + ": no type");
    }
    if (!type.isEmpty() && !TYPES.contains(type)) {
      violations.add(path + ": unknown type " + type);
    }
    if (n.has("properties") && n.has("additionalProperties")) {
      violations.add(path + ": both properties and additionalProperties");
    }
    if ((n.has("properties") || n.has("additionalProperties")) && !type.equals("object")) {
      violations.add(path + ": properties on a non-object");
    }
    if (type.equals("array") && !n.has("items")) {
      violations.add(path + ": array without items");
    }
    if (n.has("nullable") && type.isEmpty()) {
      violations.add(path + ": nullable without type");
    }
    n.path("properties").properties().forEach(e -> node(e.getValue(), path + "." + e.getKey()));
    if (n.has("additionalProperties")) {
      node(n.get("additionalProperties"), path + "{}");
    }
    if (n.has("items")) {
      node(n.get("items"), path + "[]");
    }
    for (String j : JUNCTORS) {
      if (!n.has(j)) {
        continue;
      }
      if (intOrString && j.equals("anyOf") && isIntOrStringAnyOf(n.get(j))) {
        continue;
      }
      JsonNode v = n.get(j);
      if (j.equals("not")) {
        junctor(v, path + "/not");
      } else {
        for (int i = 0; i < v.size(); i++) {
          junctor(v.get(i), path + "/" + j + "[" + i + "]");
        }
      }
    }
  }

  private void junctor(JsonNode n, String path) {
    n.fieldNames().forEachRemaining(f -> {
      if (NOT_IN_JUNCTORS.contains(f)) {
        violations.add(path + ": " + f + " is not allowed inside a junctor");
      }
    });
    for (String j : JUNCTORS) {
      JsonNode v = n.get(j);
      if (v == null) {
        continue;
      }
      if (j.equals("not")) {
        junctor(v, path + "/not");
      } else {
        for (int i = 0; i < v.size(); i++) {
          junctor(v.get(i), path + "/" + j + "[" + i + "]");
        }
      }
    }
  }

  private static boolean isIntOrStringAnyOf(JsonNode anyOf) {
    return anyOf.size() == 2
        && "integer".equals(anyOf.get(0).path("type").asText()) && anyOf.get(0).size() == 1
        && "string".equals(anyOf.get(1).path("type").asText()) && anyOf.get(1).size() == 1;
  }
}
