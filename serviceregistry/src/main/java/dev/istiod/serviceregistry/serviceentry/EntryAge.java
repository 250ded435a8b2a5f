package dev.istiod.serviceregistry.serviceentry;

import dev.istiod.model.ConfigKey;
import java.time.Instant;

/**
 * Where a ServiceEntry stands among the others: oldest first by creation time, then by key. When
 * several entries declare one host, the oldest defines the service, and their endpoints and
 * selectors are read in this order.
 */
record EntryAge(Instant created, ConfigKey key) implements Comparable<EntryAge> {
  static EntryAge of(ConvertedEntry entry) {
    return new EntryAge(entry.config().meta().creationTimestamp(), entry.key());
  }

  @Override
  public int compareTo(EntryAge o) {
    int c = created.compareTo(o.created);
    return c != 0 ? c : key.compareTo(o.key);
  }
}
