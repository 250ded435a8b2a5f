package dev.istiod.configstore;

/**
 * An object's apiVersion and kind name no registered Istio kind, or a version the kind does not
 * serve. The message reads like {@code unknown kind networking.istio.io/v9 Foo}.
 */
public final class UnknownKindException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public UnknownKindException(String apiVersion, String kind) {
    super("unknown kind " + apiVersion + " " + kind);
  }
}
