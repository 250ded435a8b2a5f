package dev.istiod.configstore.kube;

import com.fasterxml.jackson.databind.JsonNode;
import dev.istiod.configstore.ConfigDecodeException;
import dev.istiod.configstore.ConfigDecoder;
import dev.istiod.configstore.ConfigError;
import dev.istiod.configstore.KindRegistry;
import dev.istiod.configstore.ObjectRef;
import dev.istiod.configstore.validation.ValidationResult;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigEvent;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.Kind;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The valid Istio configs read from the cluster, and the problems with the invalid ones.
 *
 * <p>Writes ({@link #upsert}, {@link #delete}, {@link #retainOnly}) happen on one thread, the
 * store's queue; each returns the event to deliver, if the change is one a proxy could notice.
 * Reads ({@link #list}, {@link #get}, {@link #errors}) are lock-free from any thread.
 *
 * <p>An object that cannot be decoded, or that its kind's validator rejects, is reported (a WARN
 * line, and an entry in {@link #errors()} until it is fixed or deleted) and skipped: if an
 * earlier version of it was valid, that version stays in force, as in the directory store, so a
 * bad edit applied with the webhook off never takes routes away.
 */
final class ConfigCache {
  private static final Logger log = LoggerFactory.getLogger(ConfigCache.class);
  /** {@link dev.istiod.model.ConfigMeta#origin()} of every object read from the cluster. */
  static final String ORIGIN = "kubernetes";

  private final KindRegistry registry;
  private final ConfigDecoder decoder;
  private final ConcurrentSkipListMap<ConfigKey, Config> configs = new ConcurrentSkipListMap<>();
  /** The last resourceVersion handled per object, valid or not. Queue thread only. */
  private final Map<ConfigKey, String> seen = new HashMap<>();
  /** Queue thread only. */
  private final Map<ConfigKey, ConfigError> errorsByKey = new TreeMap<>();
  private volatile List<ConfigError> errors = List.of();

  ConfigCache(KindRegistry registry, ConfigDecoder decoder) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.decoder = Objects.requireNonNull(decoder, "decoder");
  }

  List<Config> list(Kind kind) {
    return List.copyOf(range(kind).values());
  }

  List<Config> list(Kind kind, String namespace) {
    return List.copyOf(configs.subMap(new ConfigKey(kind, namespace, ""), true,
        new ConfigKey(kind, namespace + '\0', ""), false).values());
  }

  Optional<Config> get(ConfigKey key) {
    return Optional.ofNullable(configs.get(key));
  }

  List<ConfigError> errors() {
    return errors;
  }

  /**
   * Applies the current state of one object (as the apiserver returned it). Returns the event to
   * deliver: ADD, UPDATE when labels, annotations or spec changed, nothing when only metadata
   * such as the resourceVersion moved, the object was already handled at this resourceVersion,
   * or it is invalid.
   */
  Optional<ConfigEvent> upsert(Kind kind, JsonNode object) {
    JsonNode metadata = object.path("metadata");
    ConfigKey key = new ConfigKey(kind, metadata.path("namespace").asText(""), metadata.path("name").asText(""));
    String resourceVersion = metadata.path("resourceVersion").asText("");
    if (!resourceVersion.isEmpty() && resourceVersion.equals(seen.get(key))) {
      return Optional.empty(); // a resync, or the same state reached twice
    }
    seen.put(key, resourceVersion);
    ObjectRef ref = new ObjectRef(object.path("apiVersion").asText(""), kind.kindName(), key.namespace(), key.name());
    Config config;
    try {
      config = decoder.decodeObject(object, ORIGIN, key.namespace());
    } catch (ConfigDecodeException e) {
      reject(key, ref, resourceVersion, e.reason());
      return Optional.empty();
    }
    ValidationResult result = registry.validate(config);
    if (!result.isValid()) {
      reject(key, ref, resourceVersion, result.errorSummary());
      return Optional.empty();
    }
    clearError(key);
    Config old = configs.put(key, config);
    if (old == null) {
      return Optional.of(ConfigEvent.added(config));
    }
    return sameContent(old, config) ? Optional.empty() : Optional.of(ConfigEvent.updated(old, config));
  }

  /** Forgets an object that left the cluster; a DELETE event if a valid version was in force. */
  Optional<ConfigEvent> delete(ConfigKey key) {
    seen.remove(key);
    clearError(key);
    return Optional.ofNullable(configs.remove(key)).map(ConfigEvent::deleted);
  }

  /** Deletes every object of the kind that is not in {@code present} (after a relist, or a CRD's removal). */
  List<ConfigEvent> retainOnly(Kind kind, Set<ConfigKey> present) {
    Set<ConfigKey> known = new java.util.TreeSet<>(range(kind).keySet());
    seen.keySet().stream().filter(k -> k.kind() == kind).forEach(known::add);
    List<ConfigEvent> events = new ArrayList<>();
    for (ConfigKey key : known) {
      if (!present.contains(key)) {
        delete(key).ifPresent(events::add);
      }
    }
    return events;
  }

  private NavigableMap<ConfigKey, Config> range(Kind kind) {
    int next = kind.ordinal() + 1;
    ConfigKey from = new ConfigKey(kind, "", "");
    return next == Kind.values().length
        ? configs.tailMap(from, true)
        : configs.subMap(from, true, new ConfigKey(Kind.values()[next], "", ""), false);
  }

  private void reject(ConfigKey key, ObjectRef ref, String resourceVersion, String message) {
    boolean keeping = configs.containsKey(key);
    log.warn("invalid {} {}/{} (resourceVersion {}) skipped{}: {}", key.kind().kindName(), key.namespace(),
        key.name(), resourceVersion, keeping ? ", its previous version stays in force" : "", message);
    errorsByKey.put(key, new ConfigError(ORIGIN, -1, ref, message));
    publishErrors();
  }

  private void clearError(ConfigKey key) {
    if (errorsByKey.remove(key) != null) {
      publishErrors();
    }
  }

  private void publishErrors() {
    errors = Collections.unmodifiableList(new ArrayList<>(errorsByKey.values()));
  }

  /** What a proxy could notice: labels, annotations and spec (not versions). */
  private static boolean sameContent(Config a, Config b) {
    return a.meta().labels().equals(b.meta().labels())
        && a.meta().annotations().equals(b.meta().annotations())
        && a.spec().equals(b.spec());
  }
}
