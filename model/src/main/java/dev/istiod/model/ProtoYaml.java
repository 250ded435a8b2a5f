package dev.istiod.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads Istio YAML (or JSON, a subset of YAML) into protobuf messages. Istio writes durations
 * Go-style ({@code 1m}, {@code 24h}) where protobuf JSON only accepts seconds, so duration-typed
 * fields are rewritten ({@link #normalize}) before {@link JsonFormat} parses the tree; the
 * config decoder of the {@code configstore} module uses the same step.
 */
public final class ProtoYaml {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DURATION = "google.protobuf.Duration";

  private ProtoYaml() {}

  /** Parses YAML or JSON text into a tree; an empty document is an empty object. */
  public static JsonNode readTree(String text) {
    try {
      JsonNode n = YAML.readTree(text == null ? "" : text);
      return n == null || n.isMissingNode() || n.isNull() ? JSON.createObjectNode() : n;
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("invalid YAML: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Merges a tree into a message builder, converting Go durations first.
   *
   * @throws IllegalArgumentException naming the offending field or value
   */
  public static void merge(JsonNode tree, Message.Builder builder, boolean ignoreUnknownFields) {
    merge(tree, builder, ignoreUnknownFields, "");
  }

  private static void merge(JsonNode tree, Message.Builder builder, boolean ignoreUnknownFields, String path) {
    JsonNode normalized = tree.deepCopy();
    if (normalized instanceof ObjectNode obj) {
      List<String> errors = normalize(obj, builder.getDescriptorForType(), path);
      if (!errors.isEmpty()) {
        throw new IllegalArgumentException(String.join("; ", errors));
      }
    }
    JsonFormat.Parser parser = JsonFormat.parser();
    if (ignoreUnknownFields) {
      parser = parser.ignoringUnknownFields();
    }
    try {
      parser.merge(JSON.writeValueAsString(normalized), builder);
    } catch (InvalidProtocolBufferException | JsonProcessingException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /**
   * Applies a tree over a builder that already holds values, as Go's JSON unmarshal into an
   * existing message does: every field the tree names replaces the builder's value (explicit
   * {@code false} and {@code 0} included), except plain message fields given as objects, which
   * are applied recursively so the builder keeps the sub-fields the tree does not name.
   *
   * @throws IllegalArgumentException naming the offending field or value
   */
  public static void overlay(JsonNode tree, Message.Builder builder) {
    overlay(tree, builder, "");
  }

  private static void overlay(JsonNode tree, Message.Builder builder, String path) {
    if (!(tree instanceof ObjectNode obj)) {
      throw new IllegalArgumentException("expected a mapping for " + builder.getDescriptorForType().getFullName());
    }
    for (Map.Entry<String, JsonNode> e : obj.properties()) {
      FieldDescriptor f = field(builder.getDescriptorForType(), e.getKey());
      if (f == null) {
        throw new IllegalArgumentException("unknown field \"" + e.getKey() + "\" in "
            + builder.getDescriptorForType().getFullName());
      }
      if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !f.isRepeated()
          && !f.getMessageType().getFullName().startsWith("google.protobuf.") && e.getValue().isObject()) {
        overlay(e.getValue(), builder.getFieldBuilder(f), child(path, e.getKey()));
        continue;
      }
      builder.clearField(f);
      ObjectNode single = JSON.createObjectNode();
      single.set(e.getKey(), e.getValue());
      merge(single, builder, false, path);
    }
  }

  /**
   * Prepares a tree that {@code type} describes for {@link JsonFormat}, in place: every Go-style
   * duration ({@code 1h30m}, {@code 100ms}) becomes the protobuf JSON form ({@code 5400s},
   * {@code 0.1s}), and a list where a single value belongs is an error (JsonFormat would quietly
   * take a one-element list's element). The descriptor guides the walk so that only fields typed
   * {@code google.protobuf.Duration} change: a header value "5s" in a string field stays as it is.
   *
   * @param path where {@code tree} sits, prefixed to error messages (e.g. {@code spec}); empty
   *     for the root
   * @return one message per bad value, e.g.
   *     {@code spec.http[0].timeout: invalid duration "soon" (use Go syntax such as ...)} or
   *     {@code spec.hosts[0]...: expected a single value, got a list}
   */
  public static List<String> normalize(ObjectNode tree, Descriptor type, String path) {
    List<String> errors = new ArrayList<>();
    rewriteMessage(tree, type, path, errors);
    return List.copyOf(errors);
  }

  private static void rewriteMessage(ObjectNode node, Descriptor type, String path, List<String> errors) {
    if (type.getFullName().startsWith("google.protobuf.")) {
      return; // Struct, Value, wrappers: no durations inside, and Struct keys are free-form
    }
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      FieldDescriptor f = field(type, e.getKey());
      if (f == null) {
        continue;
      }
      String fieldPath = child(path, e.getKey());
      JsonNode value = e.getValue();
      // JsonFormat (through Gson) reads a one-element list as its element: `trustDomain: [x]` would
      // silently mean "x". Go's decoder refuses a list for a single value, and so do we.
      if (!f.isRepeated() && value.isArray() && !acceptsList(f)) {
        errors.add(fieldPath + ": expected a single value, got a list");
        continue;
      }
      if (f.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      if (f.isMapField()) {
        FieldDescriptor valueField = f.getMessageType().findFieldByName("value");
        if (valueField.getJavaType() == FieldDescriptor.JavaType.MESSAGE && value instanceof ObjectNode map) {
          for (Map.Entry<String, JsonNode> entry : map.properties()) {
            entry.setValue(rewriteValue(entry.getValue(), valueField.getMessageType(),
                fieldPath + "[" + entry.getKey() + "]", errors));
          }
        }
      } else if (f.isRepeated()) {
        if (value instanceof ArrayNode array) {
          for (int i = 0; i < array.size(); i++) {
            array.set(i, rewriteValue(array.get(i), f.getMessageType(), fieldPath + "[" + i + "]", errors));
          }
        }
      } else {
        e.setValue(rewriteValue(value, f.getMessageType(), fieldPath, errors));
      }
    }
  }

  /** Fields whose JSON form may be a list though they are not repeated: google.protobuf.Value, ListValue. */
  private static boolean acceptsList(FieldDescriptor f) {
    if (f.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
      return false;
    }
    String name = f.getMessageType().getFullName();
    return name.equals("google.protobuf.Value") || name.equals("google.protobuf.ListValue");
  }

  private static JsonNode rewriteValue(JsonNode value, Descriptor type, String path, List<String> errors) {
    if (type.getFullName().equals(DURATION)) {
      if (!value.isTextual()) {
        return value; // JsonFormat reports the wrong type
      }
      try {
        return TextNode.valueOf(GoDuration.toProtoJson(GoDuration.parse(value.textValue())));
      } catch (IllegalArgumentException ex) {
        errors.add(path + ": invalid duration \"" + value.textValue()
            + "\" (use Go syntax such as \"5s\", \"100ms\" or \"1h30m\")");
        return value;
      }
    }
    if (value instanceof ObjectNode obj) {
      rewriteMessage(obj, type, path, errors);
    }
    return value;
  }

  private static String child(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** JsonFormat accepts a field by its JSON (camelCase) name or its proto name. */
  private static FieldDescriptor field(Descriptor type, String jsonKey) {
    FieldDescriptor byName = type.findFieldByName(jsonKey);
    if (byName != null) {
      return byName;
    }
    for (FieldDescriptor f : type.getFields()) {
      if (f.getJsonName().equals(jsonKey)) {
        return f;
      }
    }
    return null;
  }
}
