package dev.istiod.configstore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.istiod.model.GoDuration;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Rewrites Go-style durations ({@code 1h30m}, {@code 100ms}) in a spec into the protobuf JSON
 * form ({@code 5400s}, {@code 0.100s}) that JsonFormat accepts, guided by the proto descriptor so
 * that only fields typed {@code google.protobuf.Duration} are touched (a header value "5s" in a
 * string field stays as it is).
 */
final class GoDurations {
  private static final String DURATION = "google.protobuf.Duration";

  private GoDurations() {}

  /**
   * Rewrites {@code spec} in place.
   *
   * @param path where {@code spec} sits, for error messages (e.g. {@code spec})
   * @return one message per duration that is neither Go nor protobuf syntax
   */
  static List<String> rewrite(ObjectNode spec, Descriptor type, String path) {
    List<String> errors = new ArrayList<>();
    walkMessage(spec, type, path, errors);
    return errors;
  }

  private static void walkMessage(ObjectNode node, Descriptor type, String path, List<String> errors) {
    if (type.getFullName().startsWith("google.protobuf.")) {
      return; // Struct, Value, wrappers: no durations inside, and Struct keys are free-form
    }
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      FieldDescriptor f = field(type, e.getKey());
      if (f == null || f.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      String fieldPath = path + "." + e.getKey();
      JsonNode value = e.getValue();
      if (f.isMapField()) {
        FieldDescriptor valueField = f.getMessageType().findFieldByName("value");
        if (valueField.getJavaType() == FieldDescriptor.JavaType.MESSAGE && value instanceof ObjectNode map) {
          for (Map.Entry<String, JsonNode> entry : map.properties()) {
            JsonNode fixed = walkValue(entry.getValue(), valueField.getMessageType(),
                fieldPath + "[" + entry.getKey() + "]", errors);
            entry.setValue(fixed);
          }
        }
      } else if (f.isRepeated()) {
        if (value instanceof ArrayNode array) {
          for (int i = 0; i < array.size(); i++) {
            array.set(i, walkValue(array.get(i), f.getMessageType(), fieldPath + "[" + i + "]", errors));
          }
        }
      } else {
        e.setValue(walkValue(value, f.getMessageType(), fieldPath, errors));
      }
    }
  }

  private static JsonNode walkValue(JsonNode value, Descriptor type, String path, List<String> errors) {
    if (type.getFullName().equals(DURATION)) {
      if (!value.isTextual()) {
        return value; // JsonFormat reports the wrong type
      }
      try {
        return TextNode.valueOf(toProtoJson(GoDuration.parse(value.asText())));
      } catch (IllegalArgumentException ex) {
        errors.add(path + ": invalid duration \"" + value.asText()
            + "\" (use Go syntax such as \"5s\", \"100ms\" or \"1h30m\")");
        return value;
      }
    }
    if (value instanceof ObjectNode obj) {
      walkMessage(obj, type, path, errors);
    }
    return value;
  }

  /** JsonFormat accepts a field by its JSON (camelCase) name or its proto name. */
  private static FieldDescriptor field(Descriptor type, String name) {
    FieldDescriptor f = type.findFieldByName(name);
    if (f != null) {
      return f;
    }
    for (FieldDescriptor candidate : type.getFields()) {
      if (candidate.getJsonName().equals(name)) {
        return candidate;
      }
    }
    return null;
  }

  /** Protobuf JSON duration text: seconds with up to nine fraction digits, sign in front. */
  static String toProtoJson(Duration d) {
    boolean negative = d.isNegative();
    Duration abs = d.abs();
    long secs = abs.getSeconds();
    int nanos = abs.getNano();
    StringBuilder b = new StringBuilder();
    if (negative) {
      b.append('-');
    }
    b.append(secs);
    if (nanos != 0) {
      String frac = String.format("%09d", nanos);
      int end = frac.length();
      while (end > 0 && frac.charAt(end - 1) == '0') {
        end--;
      }
      b.append('.').append(frac, 0, end);
    }
    return b.append('s').toString();
  }
}
