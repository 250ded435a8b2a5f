package dev.istiod.xds.core.route;

import java.util.Objects;
import java.util.Set;

/**
 * Where routes are being built: the listener port the route configuration serves, the gateway
 * names the proxy answers to ({@code mesh} for sidecars, {@code ns/name} for a gateway's servers),
 * and whether the listener terminates TLS (which decides the default scheme of a redirect that
 * sets a port).
 */
public record RouteScope(int listenerPort, Set<String> gateways, Transport transport) {
  /** What the client spoke to the listener. */
  public enum Transport { PLAINTEXT, TLS }

  public RouteScope {
    gateways = Set.copyOf(gateways);
    Objects.requireNonNull(transport, "transport");
  }

  /** A sidecar's outbound HTTP listener on {@code port}: gateway {@code mesh}, never TLS. */
  public static RouteScope sidecar(int port) {
    return new RouteScope(port, Set.of(dev.istiod.model.push.VirtualServiceIndex.MESH_GATEWAY), Transport.PLAINTEXT);
  }

  boolean tls() {
    return transport == Transport.TLS;
  }
}
