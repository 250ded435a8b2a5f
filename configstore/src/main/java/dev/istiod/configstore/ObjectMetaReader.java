package dev.istiod.configstore;

import com.fasterxml.jackson.databind.JsonNode;
import dev.istiod.model.ConfigMeta;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Reads Kubernetes ObjectMeta into {@link ConfigMeta}. */
final class ObjectMetaReader {
  static final Set<String> TOP_LEVEL_FIELDS = Set.of("apiVersion", "kind", "metadata", "spec", "status");
  /** ObjectMeta's fields: the apiserver sends all of them, so strict mode must accept them. */
  private static final Set<String> META_FIELDS = Set.of("name", "generateName", "namespace", "selfLink",
      "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
      "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers",
      "managedFields");

  private final boolean strict;

  ObjectMetaReader(boolean strict) {
    this.strict = strict;
  }

  ConfigMeta read(JsonNode metadata, ObjectRef ref, String origin, String defaultNamespace)
      throws ConfigDecodeException {
    if (metadata.isMissingNode() || metadata.isNull()) {
      throw new ConfigDecodeException(ref, "metadata.name is required");
    }
    if (!metadata.isObject()) {
      throw new ConfigDecodeException(ref, "metadata must be an object");
    }
    if (strict) {
      for (var it = metadata.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!META_FIELDS.contains(f)) {
          throw new ConfigDecodeException(ref, "unknown field \"metadata." + f + "\"");
        }
      }
    }
    String name = text(metadata, "name", ref);
    if (name.isEmpty()) {
      throw new ConfigDecodeException(ref, "metadata.name is required");
    }
    String namespace = text(metadata, "namespace", ref);
    return new ConfigMeta(
        name,
        namespace.isEmpty() ? defaultNamespace : namespace,
        stringMap(metadata, "labels", ref),
        stringMap(metadata, "annotations", ref),
        text(metadata, "resourceVersion", ref),
        generation(metadata, ref),
        timestamp(metadata, ref),
        origin);
  }

  private static String text(JsonNode metadata, String field, ObjectRef ref) throws ConfigDecodeException {
    JsonNode v = metadata.get(field);
    if (v == null || v.isNull()) {
      return "";
    }
    if (!v.isTextual()) {
      throw new ConfigDecodeException(ref, "metadata." + field + " must be a string");
    }
    return v.asText();
  }

  private Map<String, String> stringMap(JsonNode metadata, String field, ObjectRef ref)
      throws ConfigDecodeException {
    JsonNode v = metadata.get(field);
    if (v == null || v.isNull()) {
      return Map.of();
    }
    if (!v.isObject()) {
      throw new ConfigDecodeException(ref, "metadata." + field + " must be a map of strings");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (var it = v.properties().iterator(); it.hasNext(); ) {
      var e = it.next();
      JsonNode value = e.getValue();
      // kubectl rejects `version: 1` (a number where a string is required); so does strict mode.
      if (!value.isTextual() && (strict || !value.isValueNode() || value.isNull())) {
        throw new ConfigDecodeException(ref, "metadata." + field + "." + e.getKey()
            + " must be a string (quote it)");
      }
      out.put(e.getKey(), value.asText());
    }
    return out;
  }

  private static long generation(JsonNode metadata, ObjectRef ref) throws ConfigDecodeException {
    JsonNode v = metadata.get("generation");
    if (v == null || v.isNull()) {
      return 0;
    }
    if (!v.canConvertToLong() || !v.isIntegralNumber()) {
      throw new ConfigDecodeException(ref, "metadata.generation must be an integer");
    }
    return v.asLong();
  }

  private static Instant timestamp(JsonNode metadata, ObjectRef ref) throws ConfigDecodeException {
    JsonNode v = metadata.get("creationTimestamp");
    if (v == null || v.isNull()) {
      return null;
    }
    try {
      return OffsetDateTime.parse(v.asText()).toInstant();
    } catch (DateTimeParseException e) {
      throw new ConfigDecodeException(ref, "metadata.creationTimestamp " + v + " is not an RFC 3339 time");
    }
  }
}
