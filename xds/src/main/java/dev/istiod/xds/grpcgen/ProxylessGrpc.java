package dev.istiod.xds.grpcgen;

import dev.istiod.model.Proxy;
import dev.istiod.xds.XdsGenerator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Proxyless gRPC support (upstream's {@code pilot/pkg/networking/grpcgen}): gRPC applications
 * with an xDS bootstrap whose node metadata says {@code GENERATOR: grpc} talk to istiod directly,
 * without a sidecar, and get listeners, routes, clusters and endpoints shaped for grpc-java/go's
 * xDS client (gRFC A27/A28/A36) instead of Envoy's.
 *
 * <p>Wiring: {@link #withProxyless(Map)} takes the server's generators by type URL and returns the
 * map to serve, where LDS, RDS, CDS and EDS pick the proxyless generator or the given one per
 * connected proxy.
 */
public final class ProxylessGrpc {

  /** The node metadata value ({@code GENERATOR}) that selects these generators, as upstream. */
  public static final String GENERATOR = "grpc";

  private ProxylessGrpc() {}

  /** True if the proxy is a proxyless gRPC client. */
  public static boolean isProxyless(Proxy proxy) {
    return GENERATOR.equals(proxy.metadata().generator());
  }

  /** The proxyless generators alone, by type URL. */
  public static Map<String, XdsGenerator> generators() {
    Map<String, XdsGenerator> out = new LinkedHashMap<>();
    for (XdsGenerator g : List.of(new GrpcClusterGenerator(), new GrpcEndpointGenerator(),
        new GrpcListenerGenerator(), new GrpcRouteGenerator())) {
      out.put(g.typeUrl(), g);
    }
    return java.util.Collections.unmodifiableMap(out);
  }

  /**
   * The server's generators with proxyless gRPC folded in: for LDS, RDS, CDS and EDS a selector
   * that serves {@code GENERATOR=grpc} proxies with the proxyless generator and every other proxy
   * with {@code defaults}' generator; every other type URL maps as in {@code defaults}.
   *
   * @param defaults the sidecar/gateway generators by type URL (left unmodified)
   */
  public static Map<String, XdsGenerator> withProxyless(Map<String, XdsGenerator> defaults) {
    Map<String, XdsGenerator> out = new LinkedHashMap<>(defaults);
    generators().forEach((type, proxyless) -> out.put(type, new ProxyGeneratorSelector(proxyless, defaults.get(type))));
    return java.util.Collections.unmodifiableMap(out);
  }
}
