package dev.istiod.xds.simulation;

/** Why a call did not reach an upstream cluster (or a local answer). */
public enum Failure {
  /** The call was routed: see the result's action. */
  NONE,
  /** No listener accepts the connection (nothing bound, nothing to hand the original destination to). */
  NO_LISTENER,
  /** The listener has no filter chain for the connection and no default filter chain. */
  NO_FILTER_CHAIN,
  /** Two filter chains match identically: Envoy rejects such a listener. */
  OVERLAPPING_FILTER_CHAINS,
  /** TLS bytes or raw TCP reached an HTTP connection manager that cannot decode them (or the codec differs). */
  PROTOCOL_ERROR,
  /** The chain terminates TLS but the client sent plaintext, or it requires a client certificate. */
  TLS_ERROR,
  /** The connection manager fetches a route configuration over RDS that the proxy was not sent. */
  NO_ROUTE_CONFIG,
  /** No virtual host's domains match the authority (Envoy answers 404). */
  NO_VIRTUAL_HOST,
  /** No route of the virtual host matches (Envoy answers 404). */
  NO_ROUTE,
  /** The action names a cluster the proxy was not sent (Envoy answers 503 / closes the connection). */
  NO_CLUSTER,
  /** The call lands on a cluster with no endpoints by construction (a STATIC cluster without hosts). */
  BLACKHOLE
}
