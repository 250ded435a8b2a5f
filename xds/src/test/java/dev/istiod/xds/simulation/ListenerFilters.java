package dev.istiod.xds.simulation;

import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilterChainMatchPredicate;
import io.envoyproxy.envoy.extensions.filters.listener.http_inspector.v3.HttpInspector;
import io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;

/**
 * The listener filters that change what filter chain matching sees: original_dst (restores the
 * pre-iptables destination), tls_inspector (transport "tls", SNI, ALPN) and http_inspector
 * (ALPN http/1.1 or h2c for plaintext HTTP). A filter counts only where its
 * {@code filter_disabled} predicate does not match the destination port.
 */
final class ListenerFilters {
  private ListenerFilters() {}

  static boolean tlsInspector(Listener l, int destinationPort) {
    return active(l, TlsInspector.class, destinationPort);
  }

  static boolean httpInspector(Listener l, int destinationPort) {
    return active(l, HttpInspector.class, destinationPort);
  }

  static boolean originalDst(Listener l) {
    return l.getListenerFiltersList().stream()
        .anyMatch(f -> f.hasTypedConfig() && f.getTypedConfig().is(OriginalDst.class));
  }

  private static boolean active(Listener l, Class<? extends Message> type, int port) {
    for (ListenerFilter f : l.getListenerFiltersList()) {
      if (f.hasTypedConfig() && f.getTypedConfig().is(type)) {
        return !f.hasFilterDisabled() || !matches(f.getFilterDisabled(), port);
      }
    }
    return false;
  }

  /** Envoy's ListenerFilterChainMatchPredicate over the only input it has here: the destination port. */
  static boolean matches(ListenerFilterChainMatchPredicate p, int port) {
    return switch (p.getRuleCase()) {
      case OR_MATCH -> p.getOrMatch().getRulesList().stream().anyMatch(r -> matches(r, port));
      case AND_MATCH -> p.getAndMatch().getRulesList().stream().allMatch(r -> matches(r, port));
      case NOT_MATCH -> !matches(p.getNotMatch(), port);
      case ANY_MATCH -> p.getAnyMatch();
      case DESTINATION_PORT_RANGE -> port >= p.getDestinationPortRange().getStart()
          && port < p.getDestinationPortRange().getEnd();
      case RULE_NOT_SET -> throw new IllegalStateException("listener filter predicate without a rule");
    };
  }
}
