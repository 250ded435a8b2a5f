package dev.istiod.configstore;

import java.util.Objects;

/** An object could not be decoded; says which object (as far as known) and why. */
public final class ConfigDecodeException extends Exception {
  private static final long serialVersionUID = 1L;
  private final transient ObjectRef object;
  private final String reason;

  public ConfigDecodeException(ObjectRef object, String reason) {
    super(object.isUnknown() ? reason : object + ": " + reason);
    this.object = Objects.requireNonNull(object, "object");
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public ObjectRef object() {
    return object;
  }

  /** The problem, without the object prefix. */
  public String reason() {
    return reason;
  }
}
