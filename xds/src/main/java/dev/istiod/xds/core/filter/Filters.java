package dev.istiod.xds.core.filter;

import com.github.xds.type.v3.TypedStruct;
import com.google.protobuf.Any;
import com.google.protobuf.ListValue;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.grpc_stats.v3.FilterConfig;
import io.envoyproxy.envoy.extensions.filters.http.grpc_web.v3.GrpcWeb;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.http_inspector.v3.HttpInspector;
import io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst;
import io.envoyproxy.envoy.extensions.filters.listener.original_src.v3.OriginalSrc;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import java.util.List;
import java.util.Map;

/**
 * Envoy extension names and the small, fixed filter configs istiod emits. Every filter uses
 * {@code typed_config} with the upstream Envoy type URL; istio-proxy-only filters are built here
 * too, but callers add them only when {@code ProxyInputs} says the connected Envoy has them.
 */
public final class Filters {
  public static final String HTTP_CONNECTION_MANAGER = "envoy.filters.network.http_connection_manager";
  public static final String TCP_PROXY = "envoy.filters.network.tcp_proxy";
  public static final String ROUTER = "envoy.filters.http.router";
  public static final String FAULT = "envoy.filters.http.fault";
  public static final String CORS = "envoy.filters.http.cors";
  public static final String GRPC_STATS = "envoy.filters.http.grpc_stats";
  public static final String GRPC_WEB = "envoy.filters.http.grpc_web";
  public static final String ORIGINAL_DST = "envoy.filters.listener.original_dst";
  public static final String ORIGINAL_SRC = "envoy.filters.listener.original_src";
  public static final String HTTP_INSPECTOR = "envoy.filters.listener.http_inspector";
  public static final String TLS_INSPECTOR = "envoy.filters.listener.tls_inspector";
  /** Key of {@code typed_extension_protocol_options} for upstream HTTP settings of a cluster. */
  public static final String HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

  /** istio-proxy-only (no factory in upstream Envoy). */
  public static final String ISTIO_METADATA_EXCHANGE = "istio.metadata_exchange";
  public static final String ISTIO_ALPN = "istio.alpn";
  static final String TCP_MX_TYPE_URL = "type.googleapis.com/envoy.tcp.metadataexchange.config.MetadataExchange";
  static final String PEER_METADATA_TYPE_URL = "type.googleapis.com/io.istio.http.peer_metadata.Config";
  static final String ALPN_TYPE_URL = "type.googleapis.com/istio.envoy.config.filter.http.alpn.v2alpha1.FilterConfig";

  /** ALPN values sidecars use so the peer can tell Istio mTLS traffic from plain TLS. */
  public static final List<String> PLAINTEXT_HTTP_ALPNS = List.of("http/1.1", "h2c");
  /** Transport protocols set by the TLS inspector (or its absence). */
  public static final String RAW_BUFFER = "raw_buffer";
  public static final String TLS = "tls";

  private Filters() {}

  public static ListenerFilter originalDst() {
    return listenerFilter(ORIGINAL_DST, OriginalDst.getDefaultInstance());
  }

  /** TPROXY mode: keep the client's source address, marking packets for the routing rules. */
  public static ListenerFilter originalSrc() {
    return listenerFilter(ORIGINAL_SRC, OriginalSrc.newBuilder().setMark(1337).build());
  }

  public static ListenerFilter httpInspector() {
    return listenerFilter(HTTP_INSPECTOR, HttpInspector.getDefaultInstance());
  }

  /** Upstream reads at most 512 bytes of ClientHello instead of Envoy's 64 KiB default. */
  public static ListenerFilter tlsInspector() {
    return listenerFilter(TLS_INSPECTOR,
        TlsInspector.newBuilder().setInitialReadBufferSize(UInt32Value.of(512)).build());
  }

  public static ListenerFilter listenerFilter(String name, Message config) {
    return ListenerFilter.newBuilder().setName(name).setTypedConfig(Any.pack(config)).build();
  }

  public static io.envoyproxy.envoy.config.listener.v3.Filter networkFilter(String name, Message config) {
    return io.envoyproxy.envoy.config.listener.v3.Filter.newBuilder().setName(name).setTypedConfig(Any.pack(config)).build();
  }

  public static io.envoyproxy.envoy.config.listener.v3.Filter tcpProxy(TcpProxy config) {
    return networkFilter(TCP_PROXY, config);
  }

  /** A TCP proxy to one cluster; the stat prefix is the cluster name, as upstream. */
  public static io.envoyproxy.envoy.config.listener.v3.Filter tcpProxy(String statPrefix, String cluster) {
    return tcpProxy(TcpProxy.newBuilder().setStatPrefix(statPrefix).setCluster(cluster).build());
  }

  public static io.envoyproxy.envoy.config.listener.v3.Filter httpConnectionManager(HttpConnectionManager hcm) {
    return networkFilter(HTTP_CONNECTION_MANAGER, hcm);
  }

  public static HttpFilter httpFilter(String name, Message config) {
    return HttpFilter.newBuilder().setName(name).setTypedConfig(Any.pack(config)).build();
  }

  public static HttpFilter router() {
    return httpFilter(ROUTER, Router.getDefaultInstance());
  }

  /** Empty fault filter; routes enable it through {@code typed_per_filter_config}. */
  public static HttpFilter fault() {
    return httpFilter(FAULT, HTTPFault.getDefaultInstance());
  }

  /** Empty CORS filter; routes enable it through {@code typed_per_filter_config}. */
  public static HttpFilter cors() {
    return httpFilter(CORS, Cors.getDefaultInstance());
  }

  public static HttpFilter grpcWeb() {
    return httpFilter(GRPC_WEB, GrpcWeb.getDefaultInstance());
  }

  /** gRPC stats emitted as filter state only (upstream's configuration). */
  public static HttpFilter grpcStats() {
    return httpFilter(GRPC_STATS, FilterConfig.newBuilder()
        .setEmitFilterState(true)
        .setStatsForAllMethods(com.google.protobuf.BoolValue.of(false))
        .build());
  }

  /** istio-proxy only: TCP metadata exchange as an upstream cluster filter. */
  public static Filter clusterMetadataExchange() {
    return Filter.newBuilder().setName(ISTIO_METADATA_EXCHANGE).setTypedConfig(tcpMetadataExchangeConfig()).build();
  }

  /** istio-proxy only: TCP metadata exchange as a listener network filter (inbound). */
  public static io.envoyproxy.envoy.config.listener.v3.Filter listenerMetadataExchange() {
    return io.envoyproxy.envoy.config.listener.v3.Filter.newBuilder()
        .setName(ISTIO_METADATA_EXCHANGE).setTypedConfig(tcpMetadataExchangeConfig()).build();
  }

  private static Any tcpMetadataExchangeConfig() {
    return typedStruct(TCP_MX_TYPE_URL, Map.of(
        "protocol", Value.newBuilder().setStringValue("istio-peer-exchange").build(),
        "enable_discovery", Value.newBuilder().setBoolValue(true).build()));
  }

  /** istio-proxy only: HTTP peer metadata discovery and propagation through Istio headers. */
  public static HttpFilter httpPeerMetadata(boolean inbound) {
    Value istioHeaders = object(Map.of("istio_headers", object(Map.of())));
    Value workloadDiscovery = object(Map.of("workload_discovery", object(Map.of())));
    String side = inbound ? "downstream" : "upstream";
    return HttpFilter.newBuilder().setName(ISTIO_METADATA_EXCHANGE).setTypedConfig(typedStruct(PEER_METADATA_TYPE_URL, Map.of(
        side + "_discovery", list(istioHeaders, workloadDiscovery),
        side + "_propagation", list(istioHeaders)))).build();
  }

  /** istio-proxy only: overrides upstream ALPN so the server sidecar can tell Istio mTLS apart. */
  public static HttpFilter alpn() {
    Value overrides = list(
        alpnOverride("HTTP10", "istio-http/1.0", "istio", "http/1.0"),
        alpnOverride("HTTP11", "istio-http/1.1", "istio", "http/1.1"),
        alpnOverride("HTTP2", "istio-h2", "istio", "h2"));
    return HttpFilter.newBuilder().setName(ISTIO_ALPN)
        .setTypedConfig(typedStruct(ALPN_TYPE_URL, Map.of("alpn_override", overrides))).build();
  }

  private static Value alpnOverride(String protocol, String... alpns) {
    Value[] values = java.util.Arrays.stream(alpns).map(a -> Value.newBuilder().setStringValue(a).build()).toArray(Value[]::new);
    return object(Map.of("upstream_protocol", Value.newBuilder().setStringValue(protocol).build(), "alpn_override", list(values)));
  }

  /** Wraps an untyped config for an extension whose proto upstream Envoy does not ship. */
  public static Any typedStruct(String typeUrl, Map<String, Value> fields) {
    return Any.pack(TypedStruct.newBuilder().setTypeUrl(typeUrl)
        .setValue(Struct.newBuilder().putAllFields(fields)).build());
  }

  private static Value object(Map<String, Value> fields) {
    return Value.newBuilder().setStructValue(Struct.newBuilder().putAllFields(fields)).build();
  }

  private static Value list(Value... values) {
    return Value.newBuilder().setListValue(ListValue.newBuilder().addAllValues(List.of(values))).build();
  }
}
