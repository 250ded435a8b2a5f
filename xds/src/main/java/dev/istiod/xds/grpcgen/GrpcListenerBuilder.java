package dev.istiod.xds.grpcgen;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.NonForwardingAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import java.util.List;

/**
 * Builds the listeners proxyless gRPC understands (gRFC A27 client listeners, A36 server
 * listeners). Stateless.
 *
 * <p>gRPC NACKs a whole LDS update over any field it does not implement, so this emits only what
 * its parser accepts: an {@code api_listener} holding an HttpConnectionManager whose routes come
 * over ADS, HTTP filters it knows (fault, then router, which must be last), and, for servers, one
 * filter chain without listener filters or original-destination handling.
 */
final class GrpcListenerBuilder {

  static final String ROUTER_FILTER = "envoy.filters.http.router";
  static final String FAULT_FILTER = "envoy.filters.http.fault";
  static final String INBOUND_ROUTE_CONFIG = "inbound";

  /** As upstream's grpcgen: fault (so VirtualService faults can be applied per route), router last. */
  private static final List<HttpFilter> CLIENT_FILTERS = List.of(
      HttpFilter.newBuilder().setName(FAULT_FILTER).setTypedConfig(Any.pack(HTTPFault.getDefaultInstance())).build(),
      routerFilter());

  private GrpcListenerBuilder() {}

  /**
   * A client listener named as the client asked ({@code host:port}), whose HCM fetches
   * {@code routeName} over ADS.
   */
  static Listener client(String name, String address, int port, String routeName) {
    HttpConnectionManager hcm = HttpConnectionManager.newBuilder()
        .addAllHttpFilters(CLIENT_FILTERS)
        .setRds(Rds.newBuilder()
            .setConfigSource(ads())
            .setRouteConfigName(routeName))
        .build();
    return Listener.newBuilder()
        .setName(name)
        .setAddress(socketAddress(address, port))
        .setApiListener(ApiListener.newBuilder().setApiListener(Any.pack(hcm)))
        .build();
  }

  /**
   * A plaintext server listener for {@code xds.istio.io/grpc/lds/inbound/<ip>:<port>}: one filter
   * chain whose inline route accepts every RPC (gRPC servers answer them; the route only carries
   * per-route server filters, of which none are emitted yet).
   */
  static Listener server(String name, HostPort address) {
    RouteConfiguration accept = RouteConfiguration.newBuilder()
        .setName(INBOUND_ROUTE_CONFIG)
        .addVirtualHosts(VirtualHost.newBuilder()
            .setName(INBOUND_ROUTE_CONFIG)
            .addDomains("*")
            .addRoutes(Route.newBuilder()
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setNonForwardingAction(NonForwardingAction.getDefaultInstance())))
        .build();
    HttpConnectionManager hcm = HttpConnectionManager.newBuilder()
        .setStatPrefix("inbound-plaintext")
        .setRouteConfig(accept)
        .addHttpFilters(routerFilter())
        .build();
    return Listener.newBuilder()
        .setName(name)
        .setAddress(socketAddress(address.host(), address.port()))
        .addFilterChains(FilterChain.newBuilder()
            .setName("inbound-plaintext")
            .addFilters(Filter.newBuilder()
                .setName("inbound-hcm-plaintext")
                .setTypedConfig(Any.pack(hcm))))
        .build();
  }

  static ConfigSource ads() {
    return ConfigSource.newBuilder()
        .setAds(AggregatedConfigSource.getDefaultInstance())
        .setResourceApiVersion(ApiVersion.V3)
        .build();
  }

  private static HttpFilter routerFilter() {
    return HttpFilter.newBuilder().setName(ROUTER_FILTER).setTypedConfig(Any.pack(Router.getDefaultInstance())).build();
  }

  private static Address socketAddress(String address, int port) {
    return Address.newBuilder()
        .setSocketAddress(SocketAddress.newBuilder().setAddress(address).setPortValue(port))
        .build();
  }
}
