package dev.istiod.serviceregistry.serviceentry;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Workloads a {@code workloadSelector} can pick (WorkloadEntry configs, other registries' Pods), by
 * namespace and name, and also by each of their labels, so that the candidates of a selector are
 * found without scanning the namespace: a selector's matches all carry each of its labels, so the
 * smallest of its labels' buckets holds them all. Callers still check the full selector.
 *
 * <p>Not thread-safe: owned by the ServiceEntry registry's event thread.
 */
final class WorkloadsByLabel<T> {
  /** @param labels what selectors match, or null when unreadable (such a workload only lists under an empty selector) */
  private record Item<T>(Map<String, String> labels, T value) {}

  private static final class Namespace<T> {
    final TreeMap<String, Item<T>> byName = new TreeMap<>();
    final Map<Label, TreeMap<String, T>> byLabel = new HashMap<>();
  }

  private final Map<String, Namespace<T>> namespaces = new HashMap<>();

  T get(String namespace, String name) {
    Namespace<T> ns = namespaces.get(namespace);
    Item<T> item = ns == null ? null : ns.byName.get(name);
    return item == null ? null : item.value();
  }

  /**
   * Adds or replaces a workload.
   *
   * @param labels the labels selectors match, or null when they cannot be read
   */
  void put(String namespace, String name, Map<String, String> labels, T value) {
    remove(namespace, name);
    Namespace<T> ns = namespaces.computeIfAbsent(namespace, n -> new Namespace<>());
    ns.byName.put(name, new Item<>(labels == null ? null : Map.copyOf(labels), value));
    if (labels != null) {
      for (Label label : Label.of(labels)) {
        ns.byLabel.computeIfAbsent(label, l -> new TreeMap<>()).put(name, value);
      }
    }
  }

  /** Removes a workload; returns what was there, or null. */
  T remove(String namespace, String name) {
    Namespace<T> ns = namespaces.get(namespace);
    Item<T> old = ns == null ? null : ns.byName.remove(name);
    if (old == null) {
      return null;
    }
    if (old.labels() != null) {
      for (Label label : Label.of(old.labels())) {
        TreeMap<String, T> bucket = ns.byLabel.get(label);
        bucket.remove(name);
        if (bucket.isEmpty()) {
          ns.byLabel.remove(label);
        }
      }
    }
    if (ns.byName.isEmpty()) {
      namespaces.remove(namespace);
    }
    return old.value();
  }

  void clear() {
    namespaces.clear();
  }

  /**
   * The namespace's workloads that may match {@code selector}, in name order: all of them for an
   * empty selector, otherwise those carrying the selector's rarest label (a superset of the
   * matches, never missing one).
   */
  List<T> candidates(String namespace, Map<String, String> selector) {
    Namespace<T> ns = namespaces.get(namespace);
    if (ns == null) {
      return List.of();
    }
    if (selector.isEmpty()) {
      return ns.byName.values().stream().map(Item::value).toList();
    }
    TreeMap<String, T> smallest = null;
    for (Label label : Label.of(selector)) {
      TreeMap<String, T> bucket = ns.byLabel.get(label);
      if (bucket == null) {
        return List.of();
      }
      if (smallest == null || bucket.size() < smallest.size()) {
        smallest = bucket;
      }
    }
    return List.copyOf(smallest.values());
  }
}
