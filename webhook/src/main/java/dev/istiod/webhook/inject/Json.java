package dev.istiod.webhook.inject;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Small helpers over Jackson trees. The injector works on the pod's JSON as the apiserver sent
 * it (never on typed model classes), so fields it does not know survive untouched and the patch
 * names only what injection changed.
 */
final class Json {
  static final ObjectMapper MAPPER = JsonMapper.builder().build();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Json() {}

  static ObjectNode object() {
    return NODES.objectNode();
  }

  static ArrayNode array() {
    return NODES.arrayNode();
  }

  /** The object at {@code field}, created (or replacing a non-object) when absent. */
  static ObjectNode child(ObjectNode parent, String field) {
    JsonNode n = parent.get(field);
    if (n instanceof ObjectNode o) {
      return o;
    }
    return parent.putObject(field);
  }

  /** The array at {@code field}, created (or replacing a non-array) when absent. */
  static ArrayNode childArray(ObjectNode parent, String field) {
    JsonNode n = parent.get(field);
    if (n instanceof ArrayNode a) {
      return a;
    }
    return parent.putArray(field);
  }

  /** A JSON object of strings as a map (insertion order); non-strings print as Go would. */
  static Map<String, String> stringMap(JsonNode node) {
    Map<String, String> out = new LinkedHashMap<>();
    if (node != null && node.isObject()) {
      node.properties().forEach(e -> out.put(e.getKey(), text(e.getValue())));
    }
    return out;
  }

  /** A scalar as Go's {@code fmt.Sprint} of its decoded value prints it; absent or null is "". */
  static String text(JsonNode n) {
    if (n == null || n.isNull() || n.isMissingNode()) {
      return "";
    }
    if (n.isTextual()) {
      return n.asText();
    }
    if (n.isNumber()) {
      BigDecimal d = n.decimalValue().stripTrailingZeros();
      return d.scale() <= 0 ? d.toBigInteger().toString() : d.toPlainString();
    }
    if (n.isBoolean()) {
      return Boolean.toString(n.asBoolean());
    }
    return n.toString();
  }

  /** The first element of an array of objects whose {@code name} is {@code name}. */
  static Optional<ObjectNode> named(JsonNode list, String name) {
    if (list instanceof ArrayNode a) {
      for (JsonNode e : a) {
        if (e instanceof ObjectNode o && name.equals(o.path("name").asText(null))) {
          return Optional.of(o);
        }
      }
    }
    return Optional.empty();
  }

  static String write(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a JSON tree", e);
    }
  }

  static JsonNode read(String json) throws JsonProcessingException {
    return MAPPER.readTree(json);
  }
}
