package dev.istiod.model;

import java.util.Set;

/**
 * The namespaces a service or config is exported to ({@code exportTo}): {@code *} is everyone,
 * {@code .} the object's own namespace, {@code ~} no one, otherwise namespace names.
 */
public record Visibility(Set<String> exportTo) {
  public static final Visibility PUBLIC = new Visibility(Set.of("*"));

  public Visibility {
    exportTo = exportTo == null || exportTo.isEmpty() ? Set.of("*") : Set.copyOf(exportTo);
  }

  /** Whether an object in {@code ownNamespace} is visible to a proxy in {@code namespace}. */
  public boolean visibleTo(String ownNamespace, String namespace) {
    if (exportTo.contains("~")) {
      return false;
    }
    return exportTo.contains("*")
        || (exportTo.contains(".") && ownNamespace.equals(namespace))
        || exportTo.contains(namespace);
  }
}
