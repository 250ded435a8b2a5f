package dev.istiod.configstore.kube.crd;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;

/**
 * Turns a proto message descriptor into a structural OpenAPI v3 schema, as the apiserver wants
 * it in a CRD: every node typed (or marked {@code x-kubernetes-preserve-unknown-fields}),
 * property names in proto JSON form, and the value shapes proto JSON accepts for each field.
 *
 * <p>The shapes follow upstream Istio's generated CRDs so that what upstream's apiserver accepts
 * this one accepts too: {@code int32} is {@code integer/int32}; {@code uint32} an integer in
 * [0, 2^32-1]; {@code int64} int-or-string (proto JSON writes 64-bit numbers as strings);
 * {@code uint64} a non-negative integer; enums are strings limited to the value names; wrapper
 * types are their scalar, {@code nullable}; {@code Duration} is a string (Go or proto syntax,
 * checked by the validators, not here); {@code Struct}, {@code Value} and {@code Any} keep
 * whatever they hold. A oneof allows any one of its fields, or none, as upstream's
 * {@code oneOf/not/anyOf/required} pattern does (proto3 {@code optional} fields are synthetic
 * oneofs and carry no such rule).
 *
 * <p>A message that contains itself, directly or not, is cut where it recurs: that node becomes
 * an object that keeps unknown fields, since a structural schema must be finite.
 */
final class ProtoOpenApi {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final long UINT32_MAX = 4294967295L;
  /**
   * Fields upstream's CRDs also accept under their proto (snake_case) name, because users wrote
   * them so before the JSON names were enforced. Proto JSON parsing reads both names.
   */
  private static final Set<String> SNAKE_CASE_ALIASES = Set.of(
      "istio.networking.v1alpha3.HTTPRoute.mirror_percent",
      "istio.security.v1beta1.JWTRule.jwks_uri");

  private final Deque<String> path = new ArrayDeque<>();

  private ProtoOpenApi() {}

  /** The schema of a message: {@code type: object} with one property per field. */
  static ObjectNode schemaOf(Descriptor message) {
    return new ProtoOpenApi().message(message);
  }

  /** An object that keeps every field it is given (status, Struct, cut recursion). */
  static ObjectNode freeFormObject() {
    ObjectNode n = F.objectNode();
    n.put("type", "object");
    n.put("x-kubernetes-preserve-unknown-fields", true);
    return n;
  }

  private ObjectNode message(Descriptor message) {
    ObjectNode wellKnown = wellKnown(message);
    if (wellKnown != null) {
      return wellKnown;
    }
    if (path.contains(message.getFullName())) {
      return freeFormObject();
    }
    path.push(message.getFullName());
    try {
      ObjectNode n = F.objectNode();
      List<ObjectNode> oneofRules = oneofRules(message);
      if (oneofRules.size() == 1) {
        n.setAll(oneofRules.getFirst());
      } else if (oneofRules.size() > 1) {
        ArrayNode all = n.putArray("allOf");
        oneofRules.forEach(all::add);
      }
      if (!message.getFields().isEmpty()) {
        ObjectNode props = n.putObject("properties");
        for (FieldDescriptor field : message.getFields()) {
          ObjectNode schema = field(field);
          props.set(field.getJsonName(), schema);
          if (SNAKE_CASE_ALIASES.contains(field.getFullName())) {
            props.set(field.getName(), schema.deepCopy());
          }
        }
      }
      n.put("type", "object");
      return n;
    } finally {
      path.pop();
    }
  }

  private ObjectNode field(FieldDescriptor field) {
    if (field.isMapField()) {
      FieldDescriptor value = field.getMessageType().findFieldByName("value");
      ObjectNode n = F.objectNode();
      n.set("additionalProperties", single(value));
      n.put("type", "object");
      return n;
    }
    if (field.isRepeated()) {
      ObjectNode n = F.objectNode();
      n.set("items", single(field));
      n.put("type", "array");
      return n;
    }
    return single(field);
  }

  /** The schema of one value of the field (an element, for a repeated field). */
  private ObjectNode single(FieldDescriptor field) {
    return switch (field.getJavaType()) {
      case MESSAGE -> message(field.getMessageType());
      case ENUM -> enumOf(field);
      default -> scalar(field.getType());
    };
  }

  private static ObjectNode enumOf(FieldDescriptor field) {
    ObjectNode n = F.objectNode();
    ArrayNode values = n.putArray("enum");
    for (EnumValueDescriptor v : field.getEnumType().getValues()) {
      values.add(v.getName());
    }
    n.put("type", "string");
    return n;
  }

  private static ObjectNode scalar(FieldDescriptor.Type type) {
    ObjectNode n = F.objectNode();
    switch (type) {
      case INT32, SINT32, SFIXED32 -> {
        n.put("format", "int32");
        n.put("type", "integer");
      }
      case UINT32, FIXED32 -> {
        n.put("maximum", UINT32_MAX);
        n.put("minimum", 0);
        n.put("type", "integer");
      }
      case INT64, SINT64, SFIXED64 -> {
        // Proto JSON writes 64-bit integers as strings and reads either form.
        ArrayNode any = n.putArray("anyOf");
        any.addObject().put("type", "integer");
        any.addObject().put("type", "string");
        n.put("x-kubernetes-int-or-string", true);
      }
      case UINT64, FIXED64 -> {
        n.put("minimum", 0);
        n.put("type", "integer");
      }
      case DOUBLE -> {
        n.put("format", "double");
        n.put("type", "number");
      }
      case FLOAT -> {
        n.put("format", "float");
        n.put("type", "number");
      }
      case BOOL -> n.put("type", "boolean");
      case STRING -> n.put("type", "string");
      case BYTES -> {
        n.put("format", "byte");
        n.put("type", "string");
      }
      default -> throw new IllegalArgumentException("not a scalar type: " + type);
    }
    return n;
  }

  /** The well-known types' JSON shapes, or null for an ordinary message. */
  private static ObjectNode wellKnown(Descriptor message) {
    String name = message.getFullName();
    ObjectNode n;
    switch (name) {
      case "google.protobuf.Duration", "google.protobuf.FieldMask" -> n = stringType();
      case "google.protobuf.Timestamp" -> {
        n = F.objectNode();
        n.put("format", "date-time");
        n.put("type", "string");
      }
      case "google.protobuf.Struct", "google.protobuf.Any" -> n = freeFormObject();
      case "google.protobuf.Value" -> {
        n = F.objectNode();
        n.put("x-kubernetes-preserve-unknown-fields", true);
      }
      case "google.protobuf.ListValue" -> {
        n = F.objectNode();
        n.putObject("items").put("x-kubernetes-preserve-unknown-fields", true);
        n.put("type", "array");
      }
      case "google.protobuf.Empty" -> {
        n = F.objectNode();
        n.put("type", "object");
      }
      case "google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.Int64Value",
          "google.protobuf.UInt64Value", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
          "google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.BytesValue" -> {
        // A wrapper is its scalar; null means "not set", as upstream's schemas allow.
        n = scalar(message.findFieldByName("value").getType());
        n.put("nullable", true);
      }
      default -> n = null;
    }
    return n;
  }

  private static ObjectNode stringType() {
    ObjectNode n = F.objectNode();
    n.put("type", "string");
    return n;
  }

  /**
   * One rule per real oneof: at most one of its fields is set. Written as upstream writes it,
   * {@code oneOf: [{not: {anyOf: [{required: [a]}, {required: [b]}]}}, {required: [a]}, ...]},
   * which only uses {@code required} and so stays structural.
   */
  private static List<ObjectNode> oneofRules(Descriptor message) {
    List<ObjectNode> rules = new ArrayList<>();
    for (OneofDescriptor oneof : message.getRealOneofs()) {
      ObjectNode rule = F.objectNode();
      ArrayNode oneOf = rule.putArray("oneOf");
      ArrayNode none = oneOf.addObject().putObject("not").putArray("anyOf");
      for (FieldDescriptor f : oneof.getFields()) {
        none.addObject().putArray("required").add(f.getJsonName());
      }
      for (FieldDescriptor f : oneof.getFields()) {
        oneOf.addObject().putArray("required").add(f.getJsonName());
      }
      rules.add(rule);
    }
    return rules;
  }
}
