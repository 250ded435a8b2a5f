package dev.istiod.webhook.inject;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A Kubernetes {@code metav1.LabelSelector} ({@code matchLabels} and {@code matchExpressions}),
 * as the injector's {@code neverInjectSelector} and {@code alwaysInjectSelector} hold them.
 * An empty selector matches nothing here, as upstream's injector skips empty selectors.
 */
public record LabelSelector(Map<String, String> matchLabels, List<Requirement> expressions) {
  private static final Set<String> OPERATORS = Set.of("In", "NotIn", "Exists", "DoesNotExist");

  public LabelSelector {
    matchLabels = Map.copyOf(matchLabels);
    expressions = List.copyOf(expressions);
  }

  public record Requirement(String key, String operator, List<String> values) {
    public Requirement {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(operator, "operator");
      values = List.copyOf(values);
    }

    boolean matches(Map<String, String> labels) {
      String v = labels.get(key);
      return switch (operator) {
        case "In" -> v != null && values.contains(v);
        case "NotIn" -> v == null || !values.contains(v);
        case "Exists" -> labels.containsKey(key);
        case "DoesNotExist" -> !labels.containsKey(key);
        default -> false;
      };
    }
  }

  /**
   * @throws IllegalArgumentException when the selector is not one Kubernetes would accept
   */
  static LabelSelector parse(JsonNode node) {
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException("a label selector must be a mapping");
    }
    Map<String, String> labels = Json.stringMap(node.path("matchLabels"));
    List<Requirement> reqs = new ArrayList<>();
    for (JsonNode e : node.path("matchExpressions")) {
      String key = e.path("key").asText("");
      String op = e.path("operator").asText("");
      List<String> values = new ArrayList<>();
      e.path("values").forEach(v -> values.add(v.asText()));
      if (key.isEmpty()) {
        throw new IllegalArgumentException("a match expression needs a key");
      }
      if (!OPERATORS.contains(op)) {
        throw new IllegalArgumentException("\"" + op + "\" is not a valid label selector operator");
      }
      boolean needsValues = op.equals("In") || op.equals("NotIn");
      if (needsValues == values.isEmpty()) {
        throw new IllegalArgumentException("for '" + op + "' operator, values "
            + (needsValues ? "must be non-empty" : "set must be empty"));
      }
      reqs.add(new Requirement(key, op, values));
    }
    return new LabelSelector(labels, reqs);
  }

  boolean isEmpty() {
    return matchLabels.isEmpty() && expressions.isEmpty();
  }

  boolean matches(Map<String, String> labels) {
    if (isEmpty()) {
      return false;
    }
    for (Map.Entry<String, String> e : matchLabels.entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return expressions.stream().allMatch(r -> r.matches(labels));
  }
}
