package dev.istiod.model.push;

import dev.istiod.api.networking.v1alpha3.CaptureMode;
import dev.istiod.api.networking.v1alpha3.IstioEgressListener;
import dev.istiod.model.Config;
import dev.istiod.model.Protocol;
import dev.istiod.model.Service;
import java.util.List;
import java.util.Objects;

/**
 * One egress listener of a sidecar scope with what it imports: the services and VirtualServices
 * its {@code hosts} select. The default scope has a single catch-all listener importing
 * {@code *}{@code /*}.
 *
 * @param listener the Sidecar's egress listener; for the implicit catch-all, a listener with only
 *     {@code hosts: ["*}{@code /*"]}
 * @param services the imported services; when the listener has a port, each trimmed to that port
 * @param virtualServices the imported VirtualServices bound to {@code mesh}, in precedence order
 */
public record EgressListener(IstioEgressListener listener, List<Service> services, List<Config> virtualServices) {
  public EgressListener {
    Objects.requireNonNull(listener, "listener");
    services = List.copyOf(services);
    virtualServices = List.copyOf(virtualServices);
  }

  /**
   * True for a listener without a port: it generates listeners for every imported service port.
   * (A port numbered 0 is a Unix-socket listener's, not a catch-all, as upstream.)
   */
  public boolean isCatchAll() {
    return !listener.hasPort();
  }

  /** The listener's port, or 0 for a catch-all. */
  public int port() {
    return listener.getPort().getNumber();
  }

  public Protocol protocol() {
    return Protocol.parse(listener.getPort().getProtocol());
  }

  public String bind() {
    return listener.getBind();
  }

  public CaptureMode captureMode() {
    return listener.getCaptureMode();
  }

  /**
   * True when imported services must expose the listener's port (a port is set and it is not an
   * HTTP_PROXY listener), as upstream's {@code needsPortMatch}.
   */
  boolean needsPortMatch() {
    return port() != 0 && protocol() != Protocol.HTTP_PROXY;
  }
}
