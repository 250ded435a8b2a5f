package dev.istiod.xds.core.cluster;

import dev.istiod.model.ServicePort;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;

/** Which HTTP version a cluster speaks to its endpoints, from the port's protocol and the policy. */
final class UpstreamProtocols {
  private UpstreamProtocols() {}

  /**
   * HTTP/2 and gRPC ports speak h2 upstream. Ports of unknown protocol (sniffed) reuse the
   * downstream protocol on sidecars, as upstream does; explicit HTTP/1 ports need nothing.
   */
  static void forPort(ClusterDraft d, ServicePort port, boolean sidecar) {
    if (port == null) {
      return;
    }
    if (port.protocol().isHttp2()) {
      setHttp2(d);
    } else if (sidecar && port.protocol().isUnsupported()) {
      setUseDownstreamProtocol(d);
    }
  }

  static void setHttp2(ClusterDraft d) {
    HttpProtocolOptions.Builder o = d.httpOptions();
    if (o.getUpstreamProtocolOptionsCase() == HttpProtocolOptions.UpstreamProtocolOptionsCase.UPSTREAMPROTOCOLOPTIONS_NOT_SET) {
      o.setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
          .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()));
    }
  }

  static void setUseDownstreamProtocol(ClusterDraft d) {
    HttpProtocolOptions.Builder o = d.httpOptions();
    Http1ProtocolOptions h1 = o.hasExplicitHttpConfig() && o.getExplicitHttpConfig().hasHttpProtocolOptions()
        ? o.getExplicitHttpConfig().getHttpProtocolOptions() : Http1ProtocolOptions.getDefaultInstance();
    o.setUseDownstreamProtocolConfig(HttpProtocolOptions.UseDownstreamHttpConfig.newBuilder()
        .setHttpProtocolOptions(h1)
        .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()));
  }
}
