package dev.istiod.xds.core.listener;

import dev.istiod.model.Protocol;
import dev.istiod.xds.core.ProxyInputs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upstream's {@code CanBindToPort}: whether a listener may take a port. An unprivileged proxy
 * ({@code UNPRIVILEGED_POD}) cannot bind ports below 1024, and a wildcard listener must not take
 * the port of one of the proxy's own listeners (status and Prometheus ports, and for outbound the
 * {@code virtualOutbound}/{@code virtualInbound} ports).
 */
final class PortBinding {
  private static final Logger log = LoggerFactory.getLogger(PortBinding.class);

  private PortBinding() {}

  /**
   * @param bind the listener's address, or empty when it is not chosen yet (then an HTTP listener
   *     would take the wildcard address)
   * @param checkVirtualPorts false for Sidecar ingress ports, which upstream does not check
   *     against the virtual listeners
   */
  static boolean canBind(ProxyInputs in, boolean bindToPort, String bind, int port, Protocol protocol,
      boolean checkVirtualPorts) {
    if (bindToPort && port > 0 && port < 1024 && in.unprivileged()) {
      log.warn("{}: skipping privileged port {}: the proxy is unprivileged", in.proxy().id(), port);
      return false;
    }
    if (!bind.isEmpty() && !bind.equals(in.wildcardAddress())) {
      return true;
    }
    if (bind.isEmpty() && !protocol.isHttp()) {
      return true;
    }
    boolean reserved = port == in.metadataPort("ENVOY_STATUS_PORT") || port == in.metadataPort("ENVOY_PROMETHEUS_PORT")
        || (checkVirtualPorts && (port == in.mesh().getProxyListenPort() || port == in.mesh().getProxyInboundListenPort()));
    if (reserved) {
      log.warn("{}: skipping port {}: it conflicts with a listener of the proxy itself", in.proxy().id(), port);
    }
    return !reserved;
  }
}
