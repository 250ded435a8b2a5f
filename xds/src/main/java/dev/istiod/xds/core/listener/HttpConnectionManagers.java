package dev.istiod.xds.core.listener;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.model.Protocol;
import dev.istiod.xds.core.ListenerClass;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.cluster.ClusterBuilder;
import dev.istiod.xds.core.filter.HttpFilterContributor;
import dev.istiod.xds.core.filter.HttpFilters;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.RequestIDExtension;
import io.envoyproxy.envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig;

/**
 * HTTP connection managers as upstream's {@code buildHTTPConnectionManager}: automatic codec,
 * websocket upgrades, no stream idle timeout, path normalization per mesh config, the ordered
 * HTTP filter chain, and routes over RDS (outbound) or inline (inbound).
 */
final class HttpConnectionManagers {
  /** Outbound uses Envoy's default server name; inbound answers as {@code istio-envoy}. */
  static final String INBOUND_SERVER_NAME = "istio-envoy";

  /**
   * What one connection manager is for.
   *
   * @param rds the route configuration name to fetch over RDS, or null to use {@code inline}
   */
  record Options(ListenerClass listenerClass, Protocol protocol, String statPrefix, String rds, RouteConfiguration inline) {}

  private HttpConnectionManagers() {}

  static HttpConnectionManager build(ProxyInputs in, Options o) {
    HttpConnectionManager.Builder hcm = HttpConnectionManager.newBuilder()
        .setCodecType(HttpConnectionManager.CodecType.AUTO)
        .setStatPrefix(o.statPrefix())
        .setUseRemoteAddress(BoolValue.of(false))
        .addUpgradeConfigs(HttpConnectionManager.UpgradeConfig.newBuilder().setUpgradeType("websocket"))
        .setStreamIdleTimeout(Duration.getDefaultInstance())
        .setServerHeaderTransformation(HttpConnectionManager.ServerHeaderTransformation.OVERWRITE)
        .setPathWithEscapedSlashesAction(HttpConnectionManager.PathWithEscapedSlashesAction.KEEP_UNCHANGED);
    applyPathNormalization(hcm, in.mesh());
    if (o.listenerClass() == ListenerClass.SIDECAR_INBOUND) {
      hcm.setServerName(INBOUND_SERVER_NAME)
          .setForwardClientCertDetails(HttpConnectionManager.ForwardClientCertDetails.APPEND_FORWARD);
      hcm.getSetCurrentClientCertDetailsBuilder().setSubject(BoolValue.of(true)).setUri(true).setDns(true);
      if (o.protocol().isHttp2()) {
        hcm.setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance());
      }
    }
    if (o.rds() != null) {
      hcm.getRdsBuilder().setConfigSource(ClusterBuilder.ads()).setRouteConfigName(o.rds());
    } else {
      hcm.setRouteConfig(o.inline());
    }
    hcm.addAllHttpFilters(HttpFilters.build(new HttpFilterContributor.Context(in, o.listenerClass(), o.protocol())));
    hcm.setRequestIdExtension(RequestIDExtension.newBuilder().setTypedConfig(Any.pack(
        UuidRequestIdConfig.newBuilder().setUseRequestIdForTraceSampling(BoolValue.of(true)).build())));
    return hcm.build();
  }

  private static void applyPathNormalization(HttpConnectionManager.Builder hcm, MeshConfig mesh) {
    switch (mesh.getPathNormalization().getNormalization()) {
      case NONE -> hcm.setNormalizePath(BoolValue.of(false));
      case MERGE_SLASHES -> hcm.setNormalizePath(BoolValue.of(true)).setMergeSlashes(true);
      case DECODE_AND_MERGE_SLASHES -> hcm.setNormalizePath(BoolValue.of(true)).setMergeSlashes(true)
          .setPathWithEscapedSlashesAction(HttpConnectionManager.PathWithEscapedSlashesAction.UNESCAPE_AND_FORWARD);
      default -> hcm.setNormalizePath(BoolValue.of(true));
    }
  }
}
