package dev.istiod.xds.gen;

import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.XdsGenerator;
import dev.istiod.xds.cache.XdsCache;
import java.util.Map;

/**
 * The generators istiod serves Envoy proxies with, by type URL: the map the ADS server
 * dispatches requests on. Generators are stateless and thread-safe; one map serves every
 * connection.
 */
public final class Generators {
  private Generators() {}

  /**
   * CDS, EDS, LDS and RDS for sidecars and gateways, and SDS for the {@code credentialName}
   * secrets they reference (served only when the environment has a credentials source).
   */
  public static Map<String, XdsGenerator> envoy() {
    return envoy(XdsCache.disabled());
  }

  /** As {@link #envoy()}, sharing generated clusters, endpoints, outbound listeners and routes across proxies through {@code cache}. */
  public static Map<String, XdsGenerator> envoy(XdsCache cache) {
    return Map.of(
        TypeUrls.CLUSTER, new CdsGenerator(cache),
        TypeUrls.ENDPOINT, new EdsGenerator(cache),
        TypeUrls.LISTENER, new LdsGenerator(cache),
        TypeUrls.ROUTE, new RdsGenerator(cache),
        TypeUrls.SECRET, new SdsGenerator());
  }
}
