package dev.istiod.xds.simulation;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the network filters of a filter chain by their typed config (the type URL is what Envoy
 * dispatches on; filter names are only labels).
 */
final class NetworkFilters {
  static final String SNI_CLUSTER = "type.googleapis.com/envoy.extensions.filters.network.sni_cluster.v3.SniCluster";

  private NetworkFilters() {}

  static Optional<HttpConnectionManager> httpConnectionManager(FilterChain chain) {
    return typed(chain, HttpConnectionManager.class);
  }

  static Optional<TcpProxy> tcpProxy(FilterChain chain) {
    return typed(chain, TcpProxy.class);
  }

  static boolean hasSniCluster(FilterChain chain) {
    return chain.getFiltersList().stream().anyMatch(f -> f.getTypedConfig().getTypeUrl().equals(SNI_CLUSTER));
  }

  /** The TLS context the chain terminates with, if its transport socket is TLS. */
  static Optional<DownstreamTlsContext> downstreamTls(FilterChain chain) {
    if (!chain.hasTransportSocket()) {
      return Optional.empty();
    }
    Any config = chain.getTransportSocket().getTypedConfig();
    return config.is(DownstreamTlsContext.class) ? Optional.of(unpack(config, DownstreamTlsContext.class))
        : Optional.empty();
  }

  /** Every RDS route configuration name the listener's connection managers fetch. */
  static List<String> rdsNames(Listener listener) {
    List<FilterChain> chains = new ArrayList<>(listener.getFilterChainsList());
    if (listener.hasDefaultFilterChain()) {
      chains.add(listener.getDefaultFilterChain());
    }
    List<String> names = new ArrayList<>();
    for (FilterChain c : chains) {
      httpConnectionManager(c).filter(HttpConnectionManager::hasRds)
          .ifPresent(h -> names.add(h.getRds().getRouteConfigName()));
    }
    return names;
  }

  static String lastFilterName(FilterChain chain) {
    List<Filter> filters = chain.getFiltersList();
    return filters.isEmpty() ? "(no filters)" : filters.get(filters.size() - 1).getName();
  }

  private static <T extends Message> Optional<T> typed(FilterChain chain, Class<T> type) {
    for (Filter f : chain.getFiltersList()) {
      if (f.hasTypedConfig() && f.getTypedConfig().is(type)) {
        return Optional.of(unpack(f.getTypedConfig(), type));
      }
    }
    return Optional.empty();
  }

  static <T extends Message> T unpack(Any any, Class<T> type) {
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("malformed " + type.getSimpleName() + " in generated config", e);
    }
  }
}
