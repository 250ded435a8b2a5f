package dev.istiod.xds.gen;

import dev.istiod.model.Config;
import dev.istiod.model.ConfigEvent;
import dev.istiod.model.ConfigEventHandler;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.ConfigStore;
import dev.istiod.model.Kind;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** A fixed in-memory store for golden tests: the configs of one scenario, events on {@link #apply}. */
final class TestStore implements ConfigStore {
  private final Map<ConfigKey, Config> configs = new TreeMap<>();
  private final List<ConfigEventHandler> handlers = new ArrayList<>();

  TestStore(List<Config> initial) {
    initial.forEach(c -> configs.put(c.key(), c));
  }

  /** Adds or replaces a config and tells the handlers, synchronously. */
  void apply(Config c) {
    Config old = configs.put(c.key(), c);
    ConfigEvent e = old == null ? ConfigEvent.added(c) : ConfigEvent.updated(old, c);
    handlers.forEach(h -> h.onEvent(e));
  }

  @Override
  public List<Config> list(Kind kind) {
    return configs.values().stream().filter(c -> c.kind() == kind)
        .sorted(Comparator.comparing(Config::namespace).thenComparing(Config::name)).toList();
  }

  @Override
  public Optional<Config> get(ConfigKey key) {
    return Optional.ofNullable(configs.get(key));
  }

  @Override
  public void addHandler(ConfigEventHandler handler) {
    handlers.add(handler);
  }

  @Override
  public boolean hasSynced() {
    return true;
  }
}
