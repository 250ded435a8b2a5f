package dev.istiod.configstore;

import dev.istiod.model.Config;
import dev.istiod.model.ConfigKey;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What one config file currently contributes: the objects in effect (new valid ones plus last
 * good versions kept through errors) and the errors of its latest version.
 *
 * @param content the text last read, to skip files that did not change; null if never read
 */
record FileState(String content, Map<ConfigKey, Config> objects, List<ConfigError> errors) {
  static final FileState EMPTY = new FileState(null, Map.of(), List.of());

  FileState {
    objects = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(objects)));
    errors = List.copyOf(errors);
  }
}
