package dev.istiod.configstore;

import dev.istiod.model.Config;
import java.util.List;

/** What one file or text decoded into: the objects that could be read, and the errors. */
public record DecodeResult(List<Config> configs, List<ConfigError> errors) {
  public DecodeResult {
    configs = List.copyOf(configs);
    errors = List.copyOf(errors);
  }

  public boolean hasErrors() {
    return !errors.isEmpty();
  }
}
