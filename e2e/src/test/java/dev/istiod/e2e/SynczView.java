package dev.istiod.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads istiod's {@code /debug/syncz}: a JSON array with one object per connected proxy, carrying per-type
 * {@code <type>_sent}/{@code <type>_acked} nonces and, per resource type, {@code sent}/{@code acked} and the last
 * NACK error (upstream: {@code resources.<typeUrl>.lastError}). Reads by shape, not by exact field list.
 */
public final class SynczView {
  private SynczView() {}

  /** The entry whose fields name {@code proxyId} (upstream's "proxy" field is {@code <pod>.<namespace>}). */
  public static JsonNode entryFor(JsonNode syncz, String proxyId) {
    JsonNode list = syncz.isArray() ? syncz : syncz.path("proxies");
    for (JsonNode entry : list) {
      for (Map.Entry<String, JsonNode> field : entry.properties()) {
        JsonNode value = field.getValue();
        if (value.isTextual() && value.asText().contains(proxyId)) {
          return entry;
        }
      }
    }
    throw new AssertionError("no syncz entry for " + proxyId + " in " + syncz);
  }

  /** "path: value" for every field named like an error or NACK that holds something. */
  public static List<String> errors(JsonNode entry) {
    List<String> found = new ArrayList<>();
    collectErrors(entry, "", found);
    return found;
  }

  private static void collectErrors(JsonNode node, String path, List<String> found) {
    for (Map.Entry<String, JsonNode> field : node.properties()) {
      String name = field.getKey().toLowerCase(Locale.ROOT);
      JsonNode value = field.getValue();
      String fieldPath = path + "/" + field.getKey();
      boolean errorLike = name.contains("error") || name.contains("nack");
      if (errorLike && holdsSomething(value)) {
        found.add(fieldPath + ": " + value);
      } else if (value.isContainerNode()) {
        collectErrors(value, fieldPath, found);
      }
    }
    if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        collectErrors(node.get(i), path + "[" + i + "]", found);
      }
    }
  }

  private static boolean holdsSomething(JsonNode value) {
    if (value.isNull() || value.isMissingNode()) {
      return false;
    }
    if (value.isTextual()) {
      return !value.asText().isBlank();
    }
    if (value.isBoolean()) {
      return value.asBoolean();
    }
    if (value.isNumber()) {
      return value.asDouble() != 0;
    }
    return !value.isEmpty();
  }

  /** Every type (or resource) whose sent nonce/version differs from the acked one. */
  public static List<String> unacked(JsonNode entry) {
    List<String> found = new ArrayList<>();
    collectUnacked(entry, "", found);
    return found;
  }

  private static void collectUnacked(JsonNode node, String path, List<String> found) {
    if (!node.isObject()) {
      return;
    }
    if (node.has("sent")) {
      String sent = node.path("sent").asText("");
      String acked = node.path("acked").asText("");
      if (!sent.isEmpty() && !sent.equals(acked)) {
        found.add(path + ": sent " + sent + ", acked " + (acked.isEmpty() ? "nothing" : acked));
      }
    }
    for (Map.Entry<String, JsonNode> field : node.properties()) {
      String name = field.getKey();
      if (name.endsWith("_sent") && field.getValue().isTextual()) {
        String type = name.substring(0, name.length() - "_sent".length());
        String sent = field.getValue().asText();
        String acked = node.path(type + "_acked").asText("");
        if (!sent.isEmpty() && !sent.equals(acked)) {
          found.add(path + "/" + type + ": sent " + sent + ", acked " + (acked.isEmpty() ? "nothing" : acked));
        }
      } else if (field.getValue().isObject()) {
        collectUnacked(field.getValue(), path + "/" + name, found);
      }
    }
  }
}
