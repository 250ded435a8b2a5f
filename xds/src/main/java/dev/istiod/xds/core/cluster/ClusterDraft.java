package dev.istiod.xds.core.cluster;

import com.google.protobuf.Any;
import dev.istiod.xds.core.filter.Filters;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;

/**
 * A cluster under construction plus its upstream HTTP protocol options, which several policies
 * edit (HTTP/2, idle timeouts, downstream protocol) and which Envoy only accepts packed into
 * {@code typed_extension_protocol_options}; {@link #build} packs them once at the end.
 */
public final class ClusterDraft {
  private final Cluster.Builder cluster;
  private HttpProtocolOptions.Builder httpOptions;

  ClusterDraft(Cluster.Builder cluster) {
    this.cluster = cluster;
  }

  public Cluster.Builder cluster() {
    return cluster;
  }

  /** The HTTP protocol options, created on first use. */
  public HttpProtocolOptions.Builder httpOptions() {
    if (httpOptions == null) {
      httpOptions = HttpProtocolOptions.newBuilder();
    }
    return httpOptions;
  }

  public boolean hasHttpOptions() {
    return httpOptions != null;
  }

  /** True when the options pin HTTP/2 to the upstream. */
  public boolean isHttp2() {
    return httpOptions != null && httpOptions.hasExplicitHttpConfig()
        && httpOptions.getExplicitHttpConfig().hasHttp2ProtocolOptions();
  }

  public Cluster build() {
    if (httpOptions != null) {
      if (httpOptions.getUpstreamProtocolOptionsCase()
          == HttpProtocolOptions.UpstreamProtocolOptionsCase.UPSTREAMPROTOCOLOPTIONS_NOT_SET) {
        // Envoy requires one of the protocol choices; plain HTTP/1.1 is the implied one.
        httpOptions.setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
            .setHttpProtocolOptions(io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions.getDefaultInstance()));
      }
      cluster.putTypedExtensionProtocolOptions(Filters.HTTP_PROTOCOL_OPTIONS, Any.pack(httpOptions.build()));
    }
    return cluster.build();
  }
}
