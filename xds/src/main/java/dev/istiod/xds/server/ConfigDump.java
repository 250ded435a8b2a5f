package dev.istiod.xds.server;

import dev.istiod.model.Proxy;
import dev.istiod.xds.XdsResource;
import java.util.List;
import java.util.Objects;

/**
 * Everything istiod would send one connected proxy right now, generated from the current push
 * context; istiod renders it as Envoy's admin ConfigDump for {@code /debug/config_dump}.
 *
 * @param version the push context version the resources were generated from
 * @param types one entry per type, in push order (CDS, EDS, LDS, RDS, ...)
 */
public record ConfigDump(String connectionId, Proxy proxy, String version, List<TypedResources> types) {
  public ConfigDump {
    Objects.requireNonNull(proxy, "proxy");
    types = List.copyOf(types);
  }

  /** The resources of one type URL. */
  public record TypedResources(String typeUrl, List<XdsResource> resources) {
    public TypedResources {
      resources = List.copyOf(resources);
    }
  }
}
