package dev.istiod.xds.core.cluster;

import com.google.protobuf.Any;
import dev.istiod.xds.core.endpoint.LocalityGroup;
import dev.istiod.xds.core.filter.Filters;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * A cluster under construction plus what several policies edit before it is final: the upstream
 * HTTP protocol options (HTTP/2, idle timeouts, auto SNI), which Envoy only accepts packed into
 * {@code typed_extension_protocol_options} and {@link #build} packs once at the end; the inline
 * endpoints of DNS and static clusters with their source endpoints (locality failover by labels
 * needs them); and reasons a policy found the cluster unservable ({@link #reject}).
 */
public final class ClusterDraft {
  private final Cluster.Builder cluster;
  private final List<LocalityGroup> inlineEndpoints;
  private final List<String> rejections = new ArrayList<>();
  private HttpProtocolOptions.Builder httpOptions;

  ClusterDraft(Cluster.Builder cluster) {
    this(cluster, List.of());
  }

  ClusterDraft(Cluster.Builder cluster, List<LocalityGroup> inlineEndpoints) {
    this.cluster = cluster;
    this.inlineEndpoints = List.copyOf(inlineEndpoints);
  }

  public Cluster.Builder cluster() {
    return cluster;
  }

  /** The endpoints of the inline load assignment as built, before any locality policy. */
  List<LocalityGroup> inlineEndpoints() {
    return inlineEndpoints;
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

  /** Marks the cluster as not to be sent: a policy asked for something that cannot be served safely. */
  void reject(String reason) {
    rejections.add(reason);
  }

  /** Why the cluster must not be sent; empty when it may be. */
  List<String> rejections() {
    return List.copyOf(rejections);
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
