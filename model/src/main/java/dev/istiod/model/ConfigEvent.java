package dev.istiod.model;

import java.util.Objects;

/**
 * A change in a config store. For ADD only {@code newConfig} is set, for DELETE only
 * {@code oldConfig}; UPDATE carries both.
 */
public record ConfigEvent(Type type, Config oldConfig, Config newConfig) {
  public enum Type { ADD, UPDATE, DELETE }

  public ConfigEvent {
    Objects.requireNonNull(type, "type");
    if (type != Type.DELETE) {
      Objects.requireNonNull(newConfig, "newConfig");
    }
    if (type != Type.ADD) {
      Objects.requireNonNull(oldConfig, "oldConfig");
    }
  }

  public static ConfigEvent added(Config c) {
    return new ConfigEvent(Type.ADD, null, c);
  }

  public static ConfigEvent updated(Config old, Config c) {
    return new ConfigEvent(Type.UPDATE, old, c);
  }

  public static ConfigEvent deleted(Config old) {
    return new ConfigEvent(Type.DELETE, old, null);
  }

  /** The key of the object this event is about. */
  public ConfigKey key() {
    return (newConfig != null ? newConfig : oldConfig).key();
  }

  /** The latest state: the new config, or the deleted one. */
  public Config latest() {
    return newConfig != null ? newConfig : oldConfig;
  }
}
