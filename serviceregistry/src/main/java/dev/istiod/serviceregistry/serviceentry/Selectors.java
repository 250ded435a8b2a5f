package dev.istiod.serviceregistry.serviceentry;

import java.util.Map;

/** Kubernetes-style equality label selection, as ServiceEntry {@code workloadSelector} uses it. */
final class Selectors {
  private Selectors() {}

  /** True if every selector label is present with the same value (an empty selector selects all). */
  static boolean matches(Map<String, String> selector, Map<String, String> labels) {
    for (Map.Entry<String, String> e : selector.entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
