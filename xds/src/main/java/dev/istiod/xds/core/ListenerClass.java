package dev.istiod.xds.core;

/** Which side of a proxy a listener serves; filters and headers differ between them. */
public enum ListenerClass {
  SIDECAR_INBOUND,
  SIDECAR_OUTBOUND,
  GATEWAY
}
