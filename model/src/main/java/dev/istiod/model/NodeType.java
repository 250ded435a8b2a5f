package dev.istiod.model;

import java.util.Optional;

/** The first field of an Envoy node id: what kind of proxy is connecting. */
public enum NodeType {
  SIDECAR("sidecar"),
  ROUTER("router"),
  WAYPOINT("waypoint"),
  ZTUNNEL("ztunnel");

  private final String value;

  NodeType(String value) {
    this.value = value;
  }

  public String value() {
    return value;
  }

  public static Optional<NodeType> parse(String s) {
    for (NodeType t : values()) {
      if (t.value.equals(s)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }
}
