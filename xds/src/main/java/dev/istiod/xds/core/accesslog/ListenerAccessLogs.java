package dev.istiod.xds.core.accesslog;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.istiod.xds.core.EnvoyNames;
import dev.istiod.xds.core.ListenerClass;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.filter.Filters;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import java.util.ArrayList;
import java.util.List;

/**
 * Puts {@link AccessLogs} on every HTTP connection manager and TCP proxy of a proxy's listeners,
 * after the listener builders are done: one pass instead of a hook in each of the builders of
 * sidecar inbound, outbound, catch-all and gateway chains, so no chain can be forgotten. The
 * listener's class comes from the proxy type and the listener's traffic direction. As upstream,
 * gateway listeners, {@code virtualOutbound} and the inbound listeners also get listener-level
 * logs of connections no chain matched, unless {@code meshConfig.disableEnvoyListenerLog}.
 */
public final class ListenerAccessLogs {
  private ListenerAccessLogs() {}

  /** The listeners with access logs added; the same list when the proxy logs nothing. */
  public static List<Listener> apply(ProxyInputs in, List<Listener> listeners) {
    List<AccessLog> client = AccessLogs.forClass(in,
        in.proxy().isRouter() ? ListenerClass.GATEWAY : ListenerClass.SIDECAR_OUTBOUND);
    List<AccessLog> server = in.proxy().isRouter() ? client : AccessLogs.forClass(in, ListenerClass.SIDECAR_INBOUND);
    if (client.isEmpty() && server.isEmpty()) {
      return listeners;
    }
    boolean listenerLogs = !in.mesh().getDisableEnvoyListenerLog();
    List<Listener> out = new ArrayList<>(listeners.size());
    for (Listener l : listeners) {
      boolean inbound = !in.proxy().isRouter() && l.getTrafficDirection() == TrafficDirection.INBOUND;
      boolean listenerLevel = listenerLogs && (in.proxy().isRouter() || inbound
          || l.getName().equals(EnvoyNames.VIRTUAL_OUTBOUND_LISTENER));
      out.add(withLogs(l, inbound ? server : client, listenerLevel));
    }
    return out;
  }

  private static Listener withLogs(Listener l, List<AccessLog> logs, boolean listenerLevel) {
    if (logs.isEmpty()) {
      return l;
    }
    Listener.Builder b = l.toBuilder();
    if (listenerLevel) {
      logs.forEach(log -> b.addAccessLog(AccessLogs.forListener(log)));
    }
    for (FilterChain.Builder chain : b.getFilterChainsBuilderList()) {
      addTo(chain, logs);
    }
    if (b.hasDefaultFilterChain()) {
      addTo(b.getDefaultFilterChainBuilder(), logs);
    }
    return b.build();
  }

  private static void addTo(FilterChain.Builder chain, List<AccessLog> logs) {
    for (Filter.Builder f : chain.getFiltersBuilderList()) {
      if (!f.hasTypedConfig()) {
        continue;
      }
      Any config = f.getTypedConfig();
      try {
        if (f.getName().equals(Filters.HTTP_CONNECTION_MANAGER) && config.is(HttpConnectionManager.class)) {
          f.setTypedConfig(Any.pack(config.unpack(HttpConnectionManager.class).toBuilder()
              .addAllAccessLog(logs).build()));
        } else if (f.getName().equals(Filters.TCP_PROXY) && config.is(TcpProxy.class)) {
          f.setTypedConfig(Any.pack(config.unpack(TcpProxy.class).toBuilder().addAllAccessLog(logs).build()));
        }
      } catch (InvalidProtocolBufferException e) {
        // The builders packed these configs moments ago; a failure here is a bug, not bad input.
        throw new IllegalStateException("cannot read back " + f.getName() + " config", e);
      }
    }
  }
}
