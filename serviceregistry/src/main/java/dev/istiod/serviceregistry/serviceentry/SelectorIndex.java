package dev.istiod.serviceregistry.serviceentry;

import dev.istiod.model.ConfigKey;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The ServiceEntries that have a {@code workloadSelector}, by namespace and one label of their
 * selector, so that a workload's change finds the entries that may select it without scanning the
 * others: a selector that matches a workload's labels has each of its labels among them, so
 * looking up each of the workload's labels finds it. An empty selector selects every workload of
 * its namespace and is kept apart. Callers still check the full selector.
 *
 * <p>Not thread-safe: owned by the ServiceEntry registry's event thread.
 */
final class SelectorIndex {
  private final Map<String, Map<Label, Set<ConfigKey>>> byLabel = new HashMap<>();
  private final Map<String, Set<ConfigKey>> selectingAll = new HashMap<>();

  void add(ConvertedEntry entry) {
    entry.selector().ifPresent(selector -> bucket(entry, selector, true).add(entry.key()));
  }

  void remove(ConvertedEntry entry) {
    entry.selector().ifPresent(selector -> {
      Set<ConfigKey> bucket = bucket(entry, selector, false);
      if (bucket != null && bucket.remove(entry.key()) && bucket.isEmpty()) {
        if (selector.isEmpty()) {
          selectingAll.remove(entry.namespace());
        } else {
          Map<Label, Set<ConfigKey>> inNamespace = byLabel.get(entry.namespace());
          inNamespace.remove(indexLabel(selector));
          if (inNamespace.isEmpty()) {
            byLabel.remove(entry.namespace());
          }
        }
      }
    });
  }

  /** The entries of {@code namespace} whose selector may match {@code labels} (a superset). */
  Set<ConfigKey> candidates(String namespace, Map<String, String> labels) {
    Set<ConfigKey> out = new HashSet<>(selectingAll.getOrDefault(namespace, Set.of()));
    Map<Label, Set<ConfigKey>> inNamespace = byLabel.get(namespace);
    if (inNamespace != null) {
      for (Label label : Label.of(labels)) {
        out.addAll(inNamespace.getOrDefault(label, Set.of()));
      }
    }
    return out;
  }

  private Set<ConfigKey> bucket(ConvertedEntry entry, Map<String, String> selector, boolean create) {
    if (selector.isEmpty()) {
      return create ? selectingAll.computeIfAbsent(entry.namespace(), ns -> new HashSet<>())
          : selectingAll.get(entry.namespace());
    }
    Label label = indexLabel(selector);
    if (create) {
      return byLabel.computeIfAbsent(entry.namespace(), ns -> new HashMap<>())
          .computeIfAbsent(label, l -> new HashSet<>());
    }
    Map<Label, Set<ConfigKey>> inNamespace = byLabel.get(entry.namespace());
    return inNamespace == null ? null : inNamespace.get(label);
  }

  /** The one label a non-empty selector is filed under: its first by key, so always the same. */
  private static Label indexLabel(Map<String, String> selector) {
    var first = new TreeMap<>(selector).firstEntry();
    return new Label(first.getKey(), first.getValue());
  }
}
