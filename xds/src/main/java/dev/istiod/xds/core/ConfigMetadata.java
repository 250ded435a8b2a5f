package dev.istiod.xds.core;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.istiod.model.Config;
import io.envoyproxy.envoy.config.core.v3.Metadata;

/**
 * Istio's {@code filter_metadata.istio} on clusters, routes and filter chains: which config shaped
 * a resource ({@code config: /apis/networking.istio.io/v1/namespaces/ns/virtual-service/name}),
 * plus telemetry fields. istioctl and the debug endpoints read it.
 */
public final class ConfigMetadata {
  public static final String ISTIO = "istio";

  private ConfigMetadata() {}

  /** The path upstream puts under {@code istio.config}; the version is {@code v1} for every kind. */
  public static String configPath(Config c) {
    return "/apis/" + c.kind().group() + "/v1/namespaces/" + c.namespace() + "/" + kebab(c.kind().kindName())
        + "/" + c.name();
  }

  /** The same path for a config known by kind, namespace and name. */
  public static String configPath(dev.istiod.model.Kind kind, String namespace, String name) {
    return "/apis/" + kind.group() + "/v1/namespaces/" + namespace + "/" + kebab(kind.kindName()) + "/" + name;
  }

  public static void addConfig(Metadata.Builder md, Config c) {
    put(md, "config", Value.newBuilder().setStringValue(configPath(c)).build());
  }

  public static Metadata forConfig(Config c) {
    Metadata.Builder md = Metadata.newBuilder();
    addConfig(md, c);
    return md.build();
  }

  /** Sets one field of the {@code istio} filter metadata, keeping the others. */
  public static void put(Metadata.Builder md, String key, Value value) {
    Struct.Builder istio = md.getFilterMetadataOrDefault(ISTIO, Struct.getDefaultInstance()).toBuilder();
    istio.putFields(key, value);
    md.putFilterMetadata(ISTIO, istio.build());
  }

  static String kebab(String kind) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < kind.length(); i++) {
      char ch = kind.charAt(i);
      if (Character.isUpperCase(ch) && i > 0) {
        out.append('-');
      }
      out.append(Character.toLowerCase(ch));
    }
    return out.toString();
  }
}
