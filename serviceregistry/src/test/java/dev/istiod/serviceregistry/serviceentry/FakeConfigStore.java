package dev.istiod.serviceregistry.serviceentry;

import dev.istiod.model.Config;
import dev.istiod.model.ConfigEvent;
import dev.istiod.model.ConfigEventHandler;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.Kind;
import dev.istiod.model.MutableConfigStore;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A minimal in-memory store that calls handlers synchronously on the writer's thread. */
final class FakeConfigStore implements MutableConfigStore {
  private final Map<ConfigKey, Config> configs = new TreeMap<>();
  private final List<ConfigEventHandler> handlers = new CopyOnWriteArrayList<>();

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

  @Override
  public Config create(Config config) {
    if (get(config.key()).isPresent()) {
      throw new IllegalStateException("exists: " + config.key());
    }
    return apply(config);
  }

  @Override
  public Config update(Config config) {
    if (get(config.key()).isEmpty()) {
      throw new IllegalStateException("absent: " + config.key());
    }
    return apply(config);
  }

  @Override
  public Config apply(Config config) {
    Config old;
    synchronized (this) {
      old = configs.put(config.key(), config);
    }
    fire(old == null ? ConfigEvent.added(config) : ConfigEvent.updated(old, config));
    return config;
  }

  @Override
  public boolean delete(ConfigKey key) {
    Config old;
    synchronized (this) {
      old = configs.remove(key);
    }
    if (old == null) {
      return false;
    }
    fire(ConfigEvent.deleted(old));
    return true;
  }

  private void fire(ConfigEvent event) {
    handlers.forEach(h -> h.onEvent(event));
  }
}
