package dev.istiod.model;

import java.util.List;
import java.util.Optional;

/**
 * Read side of a source of Istio configuration (memory, a YAML directory, the Kubernetes API).
 * Implementations are thread-safe; the configs they return are immutable.
 */
public interface ConfigStore {
  /** All objects of a kind, across namespaces, in a stable (namespace, name) order. */
  List<Config> list(Kind kind);

  /** Objects of a kind in one namespace. */
  default List<Config> list(Kind kind, String namespace) {
    return list(kind).stream().filter(c -> c.namespace().equals(namespace)).toList();
  }

  Optional<Config> get(ConfigKey key);

  /** Registers a handler called, on the store's event thread, for every later change. */
  void addHandler(ConfigEventHandler handler);

  /** True once the store has loaded its initial state. */
  boolean hasSynced();
}
