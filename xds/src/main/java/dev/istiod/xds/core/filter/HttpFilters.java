package dev.istiod.xds.core.filter;

import dev.istiod.model.Protocol;
import dev.istiod.xds.core.ListenerClass;
import dev.istiod.xds.core.security.authn.JwtAuthnContributor;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.ArrayList;
import java.util.List;

/**
 * The HTTP filter chain of every connection manager, in upstream's order: metadata exchange
 * first (so later filters can read peer metadata), gRPC-Web, gRPC stats, ALPN override
 * (outbound only), fault and CORS (enabled per route), and the router last.
 */
public final class HttpFilters {
  /** istio-proxy only: peer metadata through Istio headers. */
  static final HttpFilterContributor METADATA_EXCHANGE = (ctx, out) -> {
    if (ctx.inputs().metadataExchange()) {
      out.add(Filters.httpPeerMetadata(ctx.listenerClass() == ListenerClass.SIDECAR_INBOUND));
    }
  };
  static final HttpFilterContributor GRPC_WEB = (ctx, out) -> {
    if (ctx.protocol() == Protocol.GRPC_WEB) {
      out.add(Filters.grpcWeb());
    }
  };
  static final HttpFilterContributor GRPC_STATS = (ctx, out) -> out.add(Filters.grpcStats());
  /** istio-proxy only, and never inbound: the server side does not originate TLS. */
  static final HttpFilterContributor ALPN = (ctx, out) -> {
    if (ctx.inputs().alpnFilter() && ctx.listenerClass() != ListenerClass.SIDECAR_INBOUND) {
      out.add(Filters.alpn());
    }
  };
  static final HttpFilterContributor FAULT_AND_CORS = (ctx, out) -> {
    out.add(Filters.fault());
    out.add(Filters.cors());
  };
  static final HttpFilterContributor ROUTER = (ctx, out) -> out.add(Filters.router());

  /** Issue 3 inserts authn/authz after METADATA_EXCHANGE and telemetry after FAULT_AND_CORS. */
  public static final List<HttpFilterContributor> DEFAULT_ORDER =
      List.of(METADATA_EXCHANGE, JwtAuthnContributor.INSTANCE,
          dev.istiod.xds.core.security.authz.AuthzFilters.HTTP_CONTRIBUTOR, GRPC_WEB, GRPC_STATS, ALPN,
          FAULT_AND_CORS, ROUTER);

  private HttpFilters() {}

  public static List<HttpFilter> build(HttpFilterContributor.Context ctx) {
    List<HttpFilter> out = new ArrayList<>();
    for (HttpFilterContributor c : DEFAULT_ORDER) {
      c.contribute(ctx, out);
    }
    return List.copyOf(out);
  }
}
