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
import java.util.Iterator;
import java.util.Map;

/**
 * Reads Istio YAML (or JSON, a subset of YAML) into protobuf messages. Istio writes durations
 * Go-style ({@code 1m}, {@code 24h}) where protobuf JSON only accepts seconds, so duration-typed
 * fields are rewritten before {@link JsonFormat} parses the tree.
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
    JsonNode normalized = normalizeDurations(tree.deepCopy(), builder.getDescriptorForType());
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
    if (!(tree instanceof ObjectNode obj)) {
      throw new IllegalArgumentException("expected a mapping for " + builder.getDescriptorForType().getFullName());
    }
    Iterator<Map.Entry<String, JsonNode>> it = obj.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      FieldDescriptor f = field(builder.getDescriptorForType(), e.getKey());
      if (f == null) {
        throw new IllegalArgumentException("unknown field \"" + e.getKey() + "\" in "
            + builder.getDescriptorForType().getFullName());
      }
      if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !f.isRepeated()
          && !f.getMessageType().getFullName().startsWith("google.protobuf.") && e.getValue().isObject()) {
        overlay(e.getValue(), builder.getFieldBuilder(f));
        continue;
      }
      builder.clearField(f);
      ObjectNode single = JSON.createObjectNode();
      single.set(e.getKey(), e.getValue());
      merge(single, builder, false);
    }
  }

  private static JsonNode normalizeDurations(JsonNode node, Descriptor type) {
    if (type.getFullName().equals(DURATION)) {
      if (node.isTextual()) {
        return TextNode.valueOf(GoDuration.toProtoJson(GoDuration.parse(node.textValue())));
      }
      return node;
    }
    if (!(node instanceof ObjectNode obj)) {
      return node;
    }
    Iterator<Map.Entry<String, JsonNode>> it = obj.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      FieldDescriptor f = field(type, e.getKey());
      if (f == null || f.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      if (f.isMapField()) {
        FieldDescriptor value = f.getMessageType().findFieldByName("value");
        if (value.getJavaType() == FieldDescriptor.JavaType.MESSAGE && e.getValue() instanceof ObjectNode m) {
          m.fields().forEachRemaining(v -> v.setValue(normalizeDurations(v.getValue(), value.getMessageType())));
        }
      } else if (f.isRepeated() && e.getValue() instanceof ArrayNode arr) {
        for (int i = 0; i < arr.size(); i++) {
          arr.set(i, normalizeDurations(arr.get(i), f.getMessageType()));
        }
      } else {
        e.setValue(normalizeDurations(e.getValue(), f.getMessageType()));
      }
    }
    return obj;
  }

  private static FieldDescriptor field(Descriptor type, String jsonKey) {
    for (FieldDescriptor f : type.getFields()) {
      if (f.getJsonName().equals(jsonKey) || f.getName().equals(jsonKey)) {
        return f;
      }
    }
    return null;
  }
}
