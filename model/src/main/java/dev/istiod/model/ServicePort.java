package dev.istiod.model;

import java.util.Objects;

/**
 * A port a service exposes.
 *
 * @param targetPort the port endpoints listen on when no endpoint says otherwise (0 = same as
 *     {@code port})
 */
public record ServicePort(String name, int port, Protocol protocol, int targetPort) {
  public ServicePort {
    name = name == null ? "" : name;
    Objects.requireNonNull(protocol, "protocol");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }

  public ServicePort(String name, int port, Protocol protocol) {
    this(name, port, protocol, 0);
  }

  public int effectiveTargetPort() {
    return targetPort > 0 ? targetPort : port;
  }
}
