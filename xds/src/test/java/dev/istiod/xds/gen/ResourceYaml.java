package dev.istiod.xds.gen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Envoy resources as canonical YAML: protobuf JSON (with every {@code Any} expanded through a
 * type registry of what generators emit), keys sorted at every level, resources in the order
 * given. Golden files are compared and rewritten in this form.
 */
final class ResourceYaml {
  /** Every packed type generators emit; the one list lives in main code (debug config dumps use it too). */
  static final JsonFormat.TypeRegistry TYPES = dev.istiod.xds.EnvoyTypes.REGISTRY;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
      .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
      .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS));

  private ResourceYaml() {}

  static String render(List<? extends Message> resources) {
    ArrayNode list = JsonNodeFactory.instance.arrayNode();
    for (Message m : resources) {
      list.add(sorted(toJson(m)));
    }
    try {
      return YAML.writeValueAsString(list);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonNode toJson(Message m) {
    try {
      return JSON.readTree(JsonFormat.printer().usingTypeRegistry(TYPES).print(m));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("add the missing type to dev.istiod.xds.EnvoyTypes: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode sorted(JsonNode n) {
    if (n instanceof ObjectNode o) {
      ObjectNode out = JsonNodeFactory.instance.objectNode();
      List<String> names = new ArrayList<>();
      o.fieldNames().forEachRemaining(names::add);
      for (String k : new TreeSet<>(names)) {
        out.set(k, sorted(o.get(k)));
      }
      return out;
    }
    if (n instanceof ArrayNode a) {
      ArrayNode out = JsonNodeFactory.instance.arrayNode();
      a.forEach(x -> out.add(sorted(x)));
      return out;
    }
    return n;
  }
}
