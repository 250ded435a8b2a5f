package dev.istiod.configstore;

import dev.istiod.model.ConfigKey;
import dev.istiod.model.Kind;
import java.util.Objects;
import java.util.Optional;

/**
 * Which object an error is about, as far as it could be read: empty strings for the parts that
 * were missing or unreadable (a malformed document has none).
 */
public record ObjectRef(String apiVersion, String kind, String namespace, String name) {
  public static final ObjectRef UNKNOWN = new ObjectRef("", "", "", "");

  public ObjectRef {
    apiVersion = Objects.requireNonNullElse(apiVersion, "");
    kind = Objects.requireNonNullElse(kind, "");
    namespace = Objects.requireNonNullElse(namespace, "");
    name = Objects.requireNonNullElse(name, "");
  }

  public static ObjectRef of(ConfigKey key, String apiVersion) {
    return new ObjectRef(apiVersion, key.kind().kindName(), key.namespace(), key.name());
  }

  /** The key of the object, when its group, kind and name were all read and the kind is Istio's. */
  public Optional<ConfigKey> key() {
    if (name.isEmpty() || kind.isEmpty()) {
      return Optional.empty();
    }
    int slash = apiVersion.indexOf('/');
    String group = slash < 0 ? "" : apiVersion.substring(0, slash);
    Optional<Kind> k = Kind.fromGroupKind(group, kind);
    return k.map(kk -> new ConfigKey(kk, namespace, name));
  }

  public boolean isUnknown() {
    return kind.isEmpty() && name.isEmpty();
  }

  /** {@code VirtualService default/reviews}, or what is known of it. */
  @Override
  public String toString() {
    String id = name.isEmpty()
        ? (namespace.isEmpty() ? "" : "in " + namespace)
        : (namespace.isEmpty() ? name : namespace + "/" + name);
    if (kind.isEmpty()) {
      return id;
    }
    return id.isEmpty() ? kind : kind + " " + id;
  }
}
