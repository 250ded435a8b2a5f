package dev.istiod.model;

/** How a proxy resolves a service's endpoints (ServiceEntry resolution, or Kubernetes). */
public enum Resolution {
  /** Endpoints come from istiod over EDS (STATIC ServiceEntries, Kubernetes services). */
  CLIENT_SIDE_LB,
  /** Envoy resolves the endpoints' DNS names (STRICT_DNS). */
  DNS_LB,
  /** Envoy resolves DNS and uses one address at a time (LOGICAL_DNS). */
  DNS_ROUND_ROBIN,
  /** The original destination is used (resolution NONE, headless). */
  PASSTHROUGH
}
