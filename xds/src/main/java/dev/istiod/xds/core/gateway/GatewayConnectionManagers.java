package dev.istiod.xds.core.gateway;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import dev.istiod.api.mesh.v1alpha1.ForwardClientCertDetails;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.mesh.v1alpha1.ProxyConfig;
import dev.istiod.api.mesh.v1alpha1.Topology;
import dev.istiod.model.GoDuration;
import dev.istiod.model.Protocol;
import dev.istiod.xds.core.ListenerClass;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.cluster.ClusterBuilder;
import dev.istiod.xds.core.filter.HttpFilterContributor;
import dev.istiod.xds.core.filter.HttpFilters;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.RequestIDExtension;
import io.envoyproxy.envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP connection manager of a gateway server, as upstream's
 * {@code buildGatewayConnectionManager} plus the shared connection manager settings: the
 * client's address is used ({@code use_remote_address}), {@code x-forwarded-for} hops and client
 * certificate forwarding follow the proxy's {@code gatewayTopology}, the server header says
 * {@code istio-envoy}, and routes come from RDS. The HTTP filters are the gateway class of
 * {@link HttpFilters}.
 */
final class GatewayConnectionManagers {
  private static final Logger log = LoggerFactory.getLogger(GatewayConnectionManagers.class);
  static final String SERVER_NAME = "istio-envoy";

  private GatewayConnectionManagers() {}

  static HttpConnectionManager build(ProxyInputs in, Protocol protocol, String statPrefix, String rds) {
    Topology topology = proxyConfig(in).getGatewayTopology();
    HttpConnectionManager.ForwardClientCertDetails fcc = forwardClientCert(topology.getForwardClientCertDetails());
    HttpConnectionManager.Builder hcm = HttpConnectionManager.newBuilder()
        .setCodecType(HttpConnectionManager.CodecType.AUTO)
        .setStatPrefix(statPrefix)
        .setXffNumTrustedHops(topology.getNumTrustedProxies())
        .setForwardClientCertDetails(fcc)
        .setServerName(SERVER_NAME)
        .setServerHeaderTransformation(HttpConnectionManager.ServerHeaderTransformation.OVERWRITE)
        .setHttpProtocolOptions(Http1ProtocolOptions.newBuilder().setAcceptHttp10(http10(in)))
        .setProxy100Continue(true)
        .setUseRemoteAddress(BoolValue.of(true))
        .addUpgradeConfigs(HttpConnectionManager.UpgradeConfig.newBuilder().setUpgradeType("websocket"))
        .setStreamIdleTimeout(Duration.getDefaultInstance())
        .setPathWithEscapedSlashesAction(HttpConnectionManager.PathWithEscapedSlashesAction.KEEP_UNCHANGED);
    if (fcc == HttpConnectionManager.ForwardClientCertDetails.APPEND_FORWARD
        || fcc == HttpConnectionManager.ForwardClientCertDetails.SANITIZE_SET) {
      hcm.getSetCurrentClientCertDetailsBuilder().setSubject(BoolValue.of(true)).setCert(true).setDns(true).setUri(true);
    }
    idleTimeout(in).ifPresent(t -> hcm.setCommonHttpProtocolOptions(HttpProtocolOptions.newBuilder().setIdleTimeout(t)));
    pathNormalization(hcm, in.mesh());
    hcm.getRdsBuilder().setConfigSource(ClusterBuilder.ads()).setRouteConfigName(rds);
    hcm.addAllHttpFilters(HttpFilters.build(new HttpFilterContributor.Context(in, ListenerClass.GATEWAY, protocol)));
    hcm.setRequestIdExtension(RequestIDExtension.newBuilder().setTypedConfig(Any.pack(
        UuidRequestIdConfig.newBuilder().setUseRequestIdForTraceSampling(BoolValue.of(true)).build())));
    return hcm.build();
  }

  /** Gateways sanitize client certificate headers unless their topology says otherwise. */
  static HttpConnectionManager.ForwardClientCertDetails forwardClientCert(ForwardClientCertDetails d) {
    return switch (d) {
      case SANITIZE -> HttpConnectionManager.ForwardClientCertDetails.SANITIZE;
      case FORWARD_ONLY -> HttpConnectionManager.ForwardClientCertDetails.FORWARD_ONLY;
      case APPEND_FORWARD -> HttpConnectionManager.ForwardClientCertDetails.APPEND_FORWARD;
      case ALWAYS_FORWARD_ONLY -> HttpConnectionManager.ForwardClientCertDetails.ALWAYS_FORWARD_ONLY;
      default -> HttpConnectionManager.ForwardClientCertDetails.SANITIZE_SET;
    };
  }

  /**
   * The proxy's own ProxyConfig (node metadata {@code PROXY_CONFIG}, from the pod's
   * {@code proxy.istio.io/config}) if it sent one, else the mesh default, as upstream's
   * {@code ProxyConfigOrDefault}.
   */
  static ProxyConfig proxyConfig(ProxyInputs in) {
    Struct raw = in.proxy().metadata().proxyConfig();
    if (raw.getFieldsCount() == 0) {
      return in.mesh().getDefaultConfig();
    }
    try {
      ProxyConfig.Builder b = ProxyConfig.newBuilder();
      JsonFormat.parser().ignoringUnknownFields().merge(JsonFormat.printer().print(raw), b);
      return b.build();
    } catch (InvalidProtocolBufferException e) {
      log.warn("{}: ignoring unreadable PROXY_CONFIG metadata: {}", in.proxy().id(), e.getMessage());
      return in.mesh().getDefaultConfig();
    }
  }

  /** Node metadata {@code HTTP10: "1"} lets HTTP/1.0 clients in. */
  private static boolean http10(ProxyInputs in) {
    String v = in.proxy().metadata().string("HTTP10");
    return v.equals("1") || v.equalsIgnoreCase("true");
  }

  /** Node metadata {@code IDLE_TIMEOUT} (a Go duration) as the connection idle timeout. */
  static java.util.Optional<Duration> idleTimeout(ProxyInputs in) {
    String v = in.proxy().metadata().string("IDLE_TIMEOUT");
    if (v.isEmpty()) {
      return java.util.Optional.empty();
    }
    try {
      java.time.Duration d = GoDuration.parse(v);
      return java.util.Optional.of(Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build());
    } catch (IllegalArgumentException e) {
      log.warn("{}: ignoring IDLE_TIMEOUT metadata: {}", in.proxy().id(), e.getMessage());
      return java.util.Optional.empty();
    }
  }

  private static void pathNormalization(HttpConnectionManager.Builder hcm, MeshConfig mesh) {
    switch (mesh.getPathNormalization().getNormalization()) {
      case NONE -> hcm.setNormalizePath(BoolValue.of(false));
      case MERGE_SLASHES -> hcm.setNormalizePath(BoolValue.of(true)).setMergeSlashes(true);
      case DECODE_AND_MERGE_SLASHES -> hcm.setNormalizePath(BoolValue.of(true)).setMergeSlashes(true)
          .setPathWithEscapedSlashesAction(HttpConnectionManager.PathWithEscapedSlashesAction.UNESCAPE_AND_FORWARD);
      default -> hcm.setNormalizePath(BoolValue.of(true));
    }
  }
}
