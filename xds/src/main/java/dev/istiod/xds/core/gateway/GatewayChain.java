package dev.istiod.xds.core.gateway;

import com.google.protobuf.Duration;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One filter chain of a gateway listener before rendering, as upstream's {@code filterChainOpts}:
 * what it matches (SNI names, ALPN), the TLS it terminates, and its network filters (an HTTP
 * connection manager or a TCP proxy).
 *
 * @param origin what the chain serves, for messages about chains that had to be dropped
 */
record GatewayChain(List<String> serverNames, List<String> applicationProtocols, Optional<DownstreamTlsContext> tls,
    List<Filter> filters, String origin) {
  /** Upstream's {@code PILOT_GATEWAY_TRANSPORT_SOCKET_CONNECT_TIMEOUT} default: slow TLS handshakes are cut off. */
  static final Duration TRANSPORT_SOCKET_CONNECT_TIMEOUT = Duration.newBuilder().setSeconds(15).build();

  GatewayChain {
    serverNames = List.copyOf(serverNames);
    applicationProtocols = List.copyOf(applicationProtocols);
    filters = List.copyOf(filters);
  }

  /** No SNI (or {@code *}) and no ALPN: the chain takes every connection the others do not. */
  boolean isMatchAll() {
    return (serverNames.isEmpty() || serverNames.contains("*")) && applicationProtocols.isEmpty();
  }

  /** True if the chain needs the TLS inspector to read SNI or ALPN from the ClientHello. */
  boolean needsTlsInspector() {
    return !serverNames.isEmpty() || tls.map(t -> t.getCommonTlsContext().getAlpnProtocolsCount() > 0).orElse(false);
  }

  /** Same match conditions: Envoy rejects a listener with two such chains. */
  boolean conflictsWith(GatewayChain o) {
    return applicationProtocols.equals(o.applicationProtocols) && sni(serverNames).equals(sni(o.serverNames));
  }

  private static Set<String> sni(List<String> names) {
    Set<String> s = new HashSet<>(names);
    s.remove("*");
    return s;
  }

  FilterChain render() {
    FilterChain.Builder chain = FilterChain.newBuilder()
        .addAllFilters(filters)
        .setTransportSocketConnectTimeout(TRANSPORT_SOCKET_CONNECT_TIMEOUT);
    if (!isMatchAll()) {
      FilterChainMatch.Builder m = FilterChainMatch.newBuilder().addAllApplicationProtocols(applicationProtocols);
      if (!serverNames.contains("*")) {
        m.addAllServerNames(serverNames.stream().sorted().toList());
      }
      chain.setFilterChainMatch(m);
    }
    tls.ifPresent(t -> chain.setTransportSocket(GatewayTls.transportSocket(t)));
    return chain.build();
  }
}
