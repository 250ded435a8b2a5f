package dev.istiod.xds.core.filter;

import dev.istiod.model.Protocol;
import dev.istiod.xds.core.ListenerClass;
import dev.istiod.xds.core.ProxyInputs;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.List;

/**
 * One feature's HTTP filters in an HTTP connection manager. Contributors run in the fixed order of
 * {@link HttpFilters#DEFAULT_ORDER}; issue 3's features (authn, authz, telemetry, ext_authz)
 * slot in as new contributors at their upstream position without reshaping the chain.
 */
@FunctionalInterface
public interface HttpFilterContributor {
  /**
   * What the chain is built for.
   *
   * @param protocol the protocol of the port the connection manager serves
   */
  record Context(ProxyInputs inputs, ListenerClass listenerClass, Protocol protocol) {}

  /** Appends this feature's filters, if any, to {@code out}. */
  void contribute(Context ctx, List<HttpFilter> out);
}
