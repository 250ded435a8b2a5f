package dev.istiod.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Base64;
import java.util.Set;

/**
 * Reads and writes AdmissionReview envelopes ({@code admission.k8s.io/v1} and {@code v1beta1}).
 * The response repeats the request's apiVersion, as the apiserver requires.
 */
final class AdmissionReviews {
  static final String V1 = "admission.k8s.io/v1";
  static final String V1BETA1 = "admission.k8s.io/v1beta1";
  private static final Set<String> VERSIONS = Set.of(V1, V1BETA1);
  private static final ObjectMapper JSON = JsonMapper.builder().build();

  private AdmissionReviews() {}

  /** A decoded review: the envelope's apiVersion and its request. */
  record Review(String apiVersion, AdmissionRequest request) {}

  /** The body is not an AdmissionReview istiod can answer; {@code message} says why. */
  static final class BadReviewException extends Exception {
    private static final long serialVersionUID = 1L;

    BadReviewException(String message) {
      super(message);
    }
  }

  static Review parse(byte[] body) throws BadReviewException {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (IOException e) {
      throw new BadReviewException("could not decode body: not JSON: " + firstLine(e));
    }
    if (root == null || !root.isObject()) {
      throw new BadReviewException("could not decode body: expected a JSON object");
    }
    String apiVersion = root.path("apiVersion").asText("");
    String kind = root.path("kind").asText("");
    if (!"AdmissionReview".equals(kind) || !VERSIONS.contains(apiVersion)) {
      throw new BadReviewException("could not decode body: expected an AdmissionReview of " + V1 + " or "
          + V1BETA1 + ", got apiVersion \"" + apiVersion + "\" kind \"" + kind + "\"");
    }
    JsonNode req = root.get("request");
    if (req == null || !req.isObject()) {
      throw new BadReviewException("could not decode object: AdmissionReview has no request");
    }
    return new Review(apiVersion, request((ObjectNode) req));
  }

  private static AdmissionRequest request(ObjectNode req) throws BadReviewException {
    JsonNode kind = req.path("kind");
    JsonNode resource = req.path("resource");
    return new AdmissionRequest(
        text(req, "uid"),
        new AdmissionRequest.GroupVersionKind(text(kind, "group"), text(kind, "version"), text(kind, "kind")),
        new AdmissionRequest.GroupVersionResource(text(resource, "group"), text(resource, "version"),
            text(resource, "resource")),
        text(req, "subResource"), text(req, "name"), text(req, "namespace"), text(req, "operation"),
        req.path("object"), req.path("oldObject"), req.path("dryRun").asBoolean(false));
  }

  private static String text(JsonNode node, String field) throws BadReviewException {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return "";
    }
    if (!v.isTextual()) {
      throw new BadReviewException("could not decode object: request field \"" + field + "\" must be a string");
    }
    return v.asText();
  }

  /** The response envelope for {@code apiVersion}, carrying the request's uid. */
  static byte[] encode(String apiVersion, String uid, AdmissionResponse response) {
    ObjectNode root = JSON.createObjectNode();
    root.put("apiVersion", apiVersion);
    root.put("kind", "AdmissionReview");
    ObjectNode r = root.putObject("response");
    r.put("uid", uid);
    r.put("allowed", response.allowed());
    if (!response.message().isEmpty()) {
      r.putObject("status").put("message", response.message());
    }
    response.patch().ifPresent(p -> {
      r.put("patch", Base64.getEncoder().encodeToString(bytes(p)));
      r.put("patchType", "JSONPatch");
    });
    if (!response.warnings().isEmpty()) {
      ArrayNode w = r.putArray("warnings");
      response.warnings().forEach(w::add);
    }
    return bytes(root);
  }

  private static byte[] bytes(JsonNode node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a JSON tree", e);
    }
  }

  private static String firstLine(IOException e) {
    String m = e instanceof JsonProcessingException j ? j.getOriginalMessage() : String.valueOf(e.getMessage());
    return m.lines().findFirst().orElse("").strip() + (e instanceof JsonProcessingException j && j.getLocation() != null
        ? " (line " + j.getLocation().getLineNr() + ", column " + j.getLocation().getColumnNr() + ")" : "");
  }
}
