package dev.istiod.model;

import java.util.Objects;

/** Identifies one configuration object (or, for pseudo-kinds, one service by hostname). */
public record ConfigKey(Kind kind, String namespace, String name) implements Comparable<ConfigKey> {
  public ConfigKey {
    Objects.requireNonNull(kind, "kind");
    namespace = namespace == null ? "" : namespace;
    Objects.requireNonNull(name, "name");
  }

  @Override
  public int compareTo(ConfigKey o) {
    int c = kind.compareTo(o.kind);
    if (c != 0) {
      return c;
    }
    c = namespace.compareTo(o.namespace);
    return c != 0 ? c : name.compareTo(o.name);
  }

  @Override
  public String toString() {
    return kind.kindName() + "/" + (namespace.isEmpty() ? "" : namespace + "/") + name;
  }
}
