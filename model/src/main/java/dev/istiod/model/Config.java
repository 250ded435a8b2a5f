package dev.istiod.model;

import com.google.protobuf.Message;
import java.util.Objects;

/**
 * One Istio configuration object: its kind, metadata and decoded spec. Immutable; stores hand
 * out the same instance to every reader.
 */
public record Config(Kind kind, ConfigMeta meta, Message spec) {
  public Config {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(meta, "meta");
    Objects.requireNonNull(spec, "spec");
  }

  public ConfigKey key() {
    return new ConfigKey(kind, meta.namespace(), meta.name());
  }

  public String name() {
    return meta.name();
  }

  public String namespace() {
    return meta.namespace();
  }

  /** The spec as its concrete proto type; throws if the kind's spec is another type. */
  public <T extends Message> T spec(Class<T> type) {
    return type.cast(spec);
  }
}
