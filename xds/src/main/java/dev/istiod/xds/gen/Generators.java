package dev.istiod.xds.gen;

import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.XdsGenerator;
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
    return Map.of(
        TypeUrls.CLUSTER, new CdsGenerator(),
        TypeUrls.ENDPOINT, new EdsGenerator(),
        TypeUrls.LISTENER, new LdsGenerator(),
        TypeUrls.ROUTE, new RdsGenerator(),
        TypeUrls.SECRET, new SdsGenerator());
  }
}
