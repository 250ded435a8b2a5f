package dev.istiod.configstore;

import java.util.Objects;

/**
 * One problem found in config input, precise enough for a user to find and fix it: the file,
 * the document in it, the object when it could be read, and what is wrong.
 *
 * @param source the file path (or another source name, e.g. {@code admission})
 * @param document the 0-based index of the YAML document in the file (like {@code yq}'s
 *     {@code document_index}); -1 when the error concerns the whole file
 */
public record ConfigError(String source, int document, ObjectRef object, String message) {
  public ConfigError {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(object, "object");
    Objects.requireNonNull(message, "message");
  }

  /** {@code dir/vs.yaml#1 VirtualService default/reviews: total destination weight = 0}. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder(source);
    if (document >= 0) {
      b.append('#').append(document);
    }
    if (!object.isUnknown()) {
      b.append(' ').append(object);
    }
    return b.append(": ").append(message).toString();
  }
}
