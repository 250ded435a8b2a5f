package dev.istiod.bench.load;

import java.util.Optional;

/**
 * The four xDS types a simulated proxy subscribes to, in the order Envoy initializes them: CDS, then EDS for the
 * clusters it got, then LDS, then RDS for the route names its listeners reference.
 */
enum XdsType {
  CLUSTER("CDS", "type.googleapis.com/envoy.config.cluster.v3.Cluster", true),
  ENDPOINT("EDS", "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment", false),
  LISTENER("LDS", "type.googleapis.com/envoy.config.listener.v3.Listener", true),
  ROUTE("RDS", "type.googleapis.com/envoy.config.route.v3.RouteConfiguration", false);

  private final String shortName;
  private final String typeUrl;
  private final boolean wildcard;

  XdsType(String shortName, String typeUrl, boolean wildcard) {
    this.shortName = shortName;
    this.typeUrl = typeUrl;
    this.wildcard = wildcard;
  }

  /** CDS, EDS, LDS or RDS: how reports name the type. */
  String shortName() {
    return shortName;
  }

  String typeUrl() {
    return typeUrl;
  }

  /**
   * Wildcard types (CDS, LDS) are subscribed without names and every response carries the whole set; the others
   * are subscribed by name and a state-of-the-world response may carry only some of them.
   */
  boolean wildcard() {
    return wildcard;
  }

  static Optional<XdsType> ofTypeUrl(String typeUrl) {
    for (XdsType t : values()) {
      if (t.typeUrl.equals(typeUrl)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }
}
