package dev.istiod.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A webhook's verdict on one request. The server adds the request's uid and the envelope.
 *
 * @param message why the request was refused (or a note for an allowed one); empty for none
 * @param warnings shown by kubectl as {@code Warning: ...}; accepted requests only, as upstream
 * @param patch a JSON Patch (RFC 6902) array to apply to the object, if any
 */
public record AdmissionResponse(boolean allowed, String message, List<String> warnings,
    Optional<JsonNode> patch) {

  public AdmissionResponse {
    message = Objects.requireNonNullElse(message, "");
    warnings = List.copyOf(warnings);
    Objects.requireNonNull(patch, "patch");
    patch.ifPresent(p -> {
      if (!p.isArray()) {
        throw new IllegalArgumentException("a JSON patch is an array of operations");
      }
    });
  }

  public static AdmissionResponse allow() {
    return new AdmissionResponse(true, "", List.of(), Optional.empty());
  }

  public static AdmissionResponse allow(List<String> warnings) {
    return new AdmissionResponse(true, "", warnings, Optional.empty());
  }

  public static AdmissionResponse deny(String message) {
    return new AdmissionResponse(false, message, List.of(), Optional.empty());
  }

  /** Allowed with a patch; an empty patch is sent as no patch at all. */
  public static AdmissionResponse patch(JsonNode jsonPatch) {
    return new AdmissionResponse(true, "", List.of(),
        jsonPatch.isEmpty() ? Optional.empty() : Optional.of(jsonPatch));
  }
}
