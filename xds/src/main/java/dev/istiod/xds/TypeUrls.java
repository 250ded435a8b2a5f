package dev.istiod.xds;

/** The xDS type URLs istiod serves: the one home for these strings. */
public final class TypeUrls {
  private static final String PREFIX = "type.googleapis.com/";

  public static final String CLUSTER = PREFIX + "envoy.config.cluster.v3.Cluster";
  public static final String ENDPOINT = PREFIX + "envoy.config.endpoint.v3.ClusterLoadAssignment";
  public static final String LISTENER = PREFIX + "envoy.config.listener.v3.Listener";
  public static final String ROUTE = PREFIX + "envoy.config.route.v3.RouteConfiguration";
  public static final String SECRET = PREFIX + "envoy.extensions.transport_sockets.tls.v3.Secret";
  public static final String NAME_TABLE = PREFIX + "istio.networking.nds.v1.NameTable";
  public static final String HEALTH_INFO = PREFIX + "istio.v1.HealthInformation";

  /**
   * Istio's debug types, which istioctl asks for over xDS (not Envoy resources): the prefix, the
   * sync status of every connected proxy ({@code istioctl proxy-status}, {@code istioctl x version}),
   * and what istiod would send one named proxy.
   */
  public static final String DEBUG = "istio.io/debug";
  public static final String DEBUG_SYNCZ = DEBUG + "/syncz";
  public static final String DEBUG_CONFIG_DUMP = DEBUG + "/config_dump";

  private TypeUrls() {}

  /** Short name used in logs and metrics: cds, eds, lds, rds, sds, nds. */
  public static String shortName(String typeUrl) {
    return switch (typeUrl) {
      case CLUSTER -> "cds";
      case ENDPOINT -> "eds";
      case LISTENER -> "lds";
      case ROUTE -> "rds";
      case SECRET -> "sds";
      case NAME_TABLE -> "nds";
      default -> typeUrl.substring(typeUrl.lastIndexOf('.') + 1);
    };
  }

  /** Whether {@code typeUrl} is one of Istio's debug types ({@code istio.io/debug...}). */
  public static boolean isDebug(String typeUrl) {
    return typeUrl.startsWith(DEBUG);
  }

  /**
   * Wildcard types send every resource when the subscription is empty (CDS, LDS and Istio's
   * own types); the others (EDS, RDS, SDS) are always named.
   */
  public static boolean isWildcardType(String typeUrl) {
    return !(ENDPOINT.equals(typeUrl) || ROUTE.equals(typeUrl) || SECRET.equals(typeUrl));
  }
}
