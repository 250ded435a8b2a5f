package dev.istiod.configstore;

import dev.istiod.model.Config;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.Kind;
import java.util.List;
import java.util.NavigableMap;

/** Range queries over a map sorted by {@link ConfigKey} (kind, then namespace, then name). */
final class KindRange {
  private KindRange() {}

  /** The objects of one kind, in (namespace, name) order. */
  static List<Config> list(NavigableMap<ConfigKey, Config> map, Kind kind) {
    ConfigKey from = new ConfigKey(kind, "", "");
    int next = kind.ordinal() + 1;
    NavigableMap<ConfigKey, Config> range = next == Kind.values().length
        ? map.tailMap(from, true)
        : map.subMap(from, true, new ConfigKey(Kind.values()[next], "", ""), false);
    return List.copyOf(range.values());
  }

  /** The objects of one kind in one namespace, in name order. */
  static List<Config> list(NavigableMap<ConfigKey, Config> map, Kind kind, String namespace) {
    ConfigKey from = new ConfigKey(kind, namespace, "");
    return map.tailMap(from, true).entrySet().stream()
        .takeWhile(e -> e.getKey().kind() == kind && e.getKey().namespace().equals(namespace))
        .map(java.util.Map.Entry::getValue)
        .toList();
  }
}
