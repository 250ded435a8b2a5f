package dev.istiod.xds.grpcgen;

import dev.istiod.model.Config;
import dev.istiod.model.ConfigEvent;
import dev.istiod.model.ConfigEventHandler;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.ConfigStore;
import dev.istiod.model.Kind;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A config store in memory that calls its handlers on the writer's thread. */
final class TestConfigStore implements ConfigStore {
  private final Map<ConfigKey, Config> configs = new TreeMap<>();
  private final List<ConfigEventHandler> handlers = new CopyOnWriteArrayList<>();

  TestConfigStore(Config... initial) {
    for (Config c : initial) {
      configs.put(c.key(), c);
    }
  }

  @Override
  public synchronized List<Config> list(Kind kind) {
    return configs.values().stream().filter(c -> c.kind() == kind).toList();
  }

  @Override
  public synchronized Optional<Config> get(ConfigKey key) {
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

  /** Creates or replaces a config and tells the handlers. */
  void apply(Config c) {
    Config old;
    synchronized (this) {
      old = configs.put(c.key(), c);
    }
    ConfigEvent e = old == null ? ConfigEvent.added(c) : ConfigEvent.updated(old, c);
    handlers.forEach(h -> h.onEvent(e));
  }
}
