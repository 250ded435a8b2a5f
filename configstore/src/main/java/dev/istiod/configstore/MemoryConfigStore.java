package dev.istiod.configstore;

import dev.istiod.configstore.validation.ValidationResult;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigEvent;
import dev.istiod.model.ConfigEventHandler;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.ConfigMeta;
import dev.istiod.model.Kind;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-memory {@link dev.istiod.model.MutableConfigStore}, for tests, fakes and sources that
 * compute config (the embedded default).
 *
 * <p>Design: reads are lock-free over a concurrent sorted map, so {@code list} is always in
 * (namespace, name) order. Writes are serialized by one lock, and <b>handlers run synchronously
 * on the writing thread, after the change is visible, while that lock is held</b>: every handler
 * sees every change exactly once and in write order. A handler may read the store; it may also
 * write to it (the lock is reentrant), which delivers the nested event before the write returns.
 * A handler that throws is logged and does not stop the others or fail the write.
 *
 * <p>Every write sets the object's {@code resourceVersion} to a new, increasing number, as an
 * apiserver would. With a registry, writes are validated and invalid objects rejected.
 */
public final class MemoryConfigStore implements dev.istiod.model.MutableConfigStore {
  private static final Logger log = LoggerFactory.getLogger(MemoryConfigStore.class);

  private final ConcurrentSkipListMap<ConfigKey, Config> configs = new ConcurrentSkipListMap<>();
  private final List<ConfigEventHandler> handlers = new CopyOnWriteArrayList<>();
  private final ReentrantLock writeLock = new ReentrantLock();
  private final KindRegistry validatingRegistry;
  /** Guarded by writeLock. */
  private long resourceVersion;

  /** A store that accepts any config of an Istio kind, valid or not (tests of invalid input). */
  public MemoryConfigStore() {
    this.validatingRegistry = null;
  }

  /** A store that rejects configs its registry's validators find invalid. */
  public MemoryConfigStore(KindRegistry registry) {
    this.validatingRegistry = Objects.requireNonNull(registry, "registry");
  }

  @Override
  public List<Config> list(Kind kind) {
    return KindRange.list(configs, kind);
  }

  @Override
  public List<Config> list(Kind kind, String namespace) {
    return KindRange.list(configs, kind, namespace);
  }

  @Override
  public Optional<Config> get(ConfigKey key) {
    return Optional.ofNullable(configs.get(key));
  }

  @Override
  public void addHandler(ConfigEventHandler handler) {
    handlers.add(Objects.requireNonNull(handler, "handler"));
  }

  @Override
  public boolean hasSynced() {
    return true;
  }

  @Override
  public Config create(Config config) {
    return write(config, Write.CREATE);
  }

  @Override
  public Config update(Config config) {
    return write(config, Write.UPDATE);
  }

  @Override
  public Config apply(Config config) {
    return write(config, Write.APPLY);
  }

  @Override
  public boolean delete(ConfigKey key) {
    writeLock.lock();
    try {
      Config old = configs.remove(key);
      if (old == null) {
        return false;
      }
      dispatch(ConfigEvent.deleted(old));
      return true;
    } finally {
      writeLock.unlock();
    }
  }

  private enum Write { CREATE, UPDATE, APPLY }

  private Config write(Config config, Write op) {
    Objects.requireNonNull(config, "config");
    if (!config.kind().isIstioConfig()) {
      throw new IllegalArgumentException(config.kind() + " is not an Istio config kind");
    }
    if (validatingRegistry != null) {
      ValidationResult result = validatingRegistry.validate(config);
      if (!result.isValid()) {
        throw new IllegalArgumentException(config.key() + ": configuration is invalid: " + result.errorSummary());
      }
    }
    writeLock.lock();
    try {
      Config old = configs.get(config.key());
      if (op == Write.CREATE && old != null) {
        throw new IllegalStateException(config.key() + " already exists");
      }
      if (op == Write.UPDATE && old == null) {
        throw new IllegalStateException(config.key() + " does not exist");
      }
      ConfigMeta meta = config.meta().withResourceVersion(Long.toString(++resourceVersion));
      Config stored = new Config(config.kind(), meta, config.spec());
      configs.put(stored.key(), stored);
      dispatch(old == null ? ConfigEvent.added(stored) : ConfigEvent.updated(old, stored));
      return stored;
    } finally {
      writeLock.unlock();
    }
  }

  private void dispatch(ConfigEvent event) {
    for (ConfigEventHandler h : handlers) {
      try {
        h.onEvent(event);
      } catch (RuntimeException e) {
        log.warn("config event handler failed on {} {}", event.type(), event.key(), e);
      }
    }
  }
}
