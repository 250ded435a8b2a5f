package dev.istiod.model;

/** A config store that can be written to (the in-memory store, and tests). */
public interface MutableConfigStore extends ConfigStore {
  /** Adds an object; fails with {@link IllegalStateException} if its key exists. */
  Config create(Config config);

  /** Replaces an object; fails with {@link IllegalStateException} if its key is absent. */
  Config update(Config config);

  /** Creates or replaces. */
  Config apply(Config config);

  /** Deletes an object; returns false if it was absent. */
  boolean delete(ConfigKey key);
}
