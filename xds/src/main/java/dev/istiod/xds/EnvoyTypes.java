package dev.istiod.xds;

import com.google.protobuf.util.JsonFormat;

/**
 * Every Envoy message type istiod packs into an {@code Any}, so that resources can be printed
 * as JSON (debug config dumps, golden files). Adding a descriptor adds its whole .proto file and
 * the files it imports; types only reached through {@code typed_config} must be listed.
 */
public final class EnvoyTypes {
  public static final JsonFormat.TypeRegistry REGISTRY = JsonFormat.TypeRegistry.newBuilder()
      .add(io.envoyproxy.envoy.config.cluster.v3.Cluster.getDescriptor())
      .add(io.envoyproxy.envoy.config.listener.v3.Listener.getDescriptor())
      .add(io.envoyproxy.envoy.config.route.v3.RouteConfiguration.getDescriptor())
      .add(io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.network.mongo_proxy.v3.MongoProxy.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.http.router.v3.Router.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.http.grpc_stats.v3.FilterConfig.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.http.grpc_web.v3.GrpcWeb.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.listener.http_inspector.v3.HttpInspector.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.filters.listener.original_src.v3.OriginalSrc.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.access_loggers.file.v3.FileAccessLog.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter.getDescriptor())
      .add(io.envoyproxy.envoy.extensions.formatter.req_without_query.v3.ReqWithoutQuery.getDescriptor())
      .add(io.envoyproxy.envoy.admin.v3.ConfigDump.getDescriptor())
      .add(io.envoyproxy.envoy.admin.v3.ClustersConfigDump.getDescriptor())
      .add(io.envoyproxy.envoy.admin.v3.ListenersConfigDump.getDescriptor())
      .add(io.envoyproxy.envoy.admin.v3.RoutesConfigDump.getDescriptor())
      .add(io.envoyproxy.envoy.admin.v3.EndpointsConfigDump.getDescriptor())
      .add(com.github.xds.type.v3.TypedStruct.getDescriptor())
      .build();

  private EnvoyTypes() {}

  /** A JSON printer that can expand every packed Envoy type. */
  public static JsonFormat.Printer printer() {
    return JsonFormat.printer().usingTypeRegistry(REGISTRY);
  }
}
