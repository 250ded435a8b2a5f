package dev.istiod.xds.core.cluster;

import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.networking.v1alpha3.ConnectionPoolSettings;
import dev.istiod.api.networking.v1alpha3.TrafficPolicy;
import dev.istiod.model.ServicePort;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.UpstreamConnectionOptions;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.KeepaliveSettings;
import io.envoyproxy.envoy.config.core.v3.TcpKeepalive;
import io.envoyproxy.envoy.type.v3.Percent;

/**
 * {@code connectionPool} (and {@code retryBudget}) as upstream's {@code applyConnectionPool}:
 * circuit breaker thresholds start at the maximum (Envoy's own defaults are far too low for a
 * mesh) and the pool's limits lower them; idle timeout, requests per connection, connection
 * duration and HTTP/2 stream settings go to the upstream HTTP protocol options; the TCP connect
 * timeout and keepalive to the cluster.
 */
final class ConnectionPools {
  /** Envoy's uint32 maximum as a Java int. */
  static final int MAX = -1;
  /** Upstream's retry budget defaults: 20% of active requests, at least 3 concurrent retries. */
  static final double DEFAULT_BUDGET_PERCENT = 20.0;
  static final int DEFAULT_MIN_RETRY_CONCURRENCY = 3;

  /** HTTP/2 upgrade runs before the connection pool so h2 settings land on an h2 cluster. */
  static final TrafficPolicyContributor H2_UPGRADE = (ctx, d) -> {
    if (shouldUpgradeToH2(ctx.port(), ctx.inputs().mesh(), ctx.policy().getConnectionPool())) {
      UpstreamProtocols.setHttp2(d);
    }
  };

  static final TrafficPolicyContributor CONNECTION_POOL = ConnectionPools::apply;

  private ConnectionPools() {}

  /**
   * The DestinationRule's {@code h2UpgradePolicy} wins (UPGRADE even on ports of unknown
   * protocol: the user says it is HTTP); {@code useClientProtocol} never upgrades; otherwise the
   * mesh-wide policy applies to HTTP ports only, so sniffed ports keep the client's protocol.
   */
  static boolean shouldUpgradeToH2(ServicePort port, MeshConfig mesh, ConnectionPoolSettings pool) {
    if (pool.hasHttp()) {
      ConnectionPoolSettings.HTTPSettings http = pool.getHttp();
      if (http.getUseClientProtocol()) {
        return false;
      }
      if (http.getH2UpgradePolicy() == ConnectionPoolSettings.HTTPSettings.H2UpgradePolicy.UPGRADE) {
        return true;
      }
      if (http.getH2UpgradePolicy() == ConnectionPoolSettings.HTTPSettings.H2UpgradePolicy.DO_NOT_UPGRADE) {
        return false;
      }
    }
    if (port != null && !port.protocol().isHttp()) {
      return false;
    }
    return mesh.getH2UpgradePolicy() == MeshConfig.H2UpgradePolicy.UPGRADE;
  }

  private static void apply(TrafficPolicyContributor.Context ctx, ClusterDraft d) {
    ConnectionPoolSettings pool = ctx.policy().getConnectionPool();
    Cluster.Builder c = d.cluster();
    CircuitBreakers.Thresholds.Builder t = CircuitBreakers.Thresholds.newBuilder()
        .setMaxRetries(UInt32Value.of(MAX))
        .setMaxRequests(UInt32Value.of(MAX))
        .setMaxConnections(UInt32Value.of(MAX))
        .setMaxPendingRequests(UInt32Value.of(MAX))
        .setTrackRemaining(true);
    applyRetryBudget(t, ctx.policy());
    c.setConnectTimeout(ctx.inputs().mesh().getConnectTimeout());
    ConnectionPoolSettings.HTTPSettings http = pool.getHttp();
    ConnectionPoolSettings.TCPSettings tcp = pool.getTcp();
    if (http.getHttp2MaxRequests() > 0) {
      t.setMaxRequests(UInt32Value.of(http.getHttp2MaxRequests()));
    }
    if (http.getHttp1MaxPendingRequests() > 0) {
      t.setMaxPendingRequests(UInt32Value.of(http.getHttp1MaxPendingRequests()));
    }
    if (http.getMaxRetries() > 0) {
      t.setMaxRetries(UInt32Value.of(http.getMaxRetries()));
    }
    if (tcp.hasConnectTimeout()) {
      c.setConnectTimeout(tcp.getConnectTimeout());
    }
    if (tcp.getMaxConnections() > 0) {
      t.setMaxConnections(UInt32Value.of(tcp.getMaxConnections()));
    }
    applyTcpKeepalive(c, ctx.inputs().mesh(), tcp);
    c.setCircuitBreakers(CircuitBreakers.newBuilder().addThresholds(t));
    applyHttpConnectionLimits(d, http, tcp);
    if (http.getUseClientProtocol()) {
      UpstreamProtocols.setUseDownstreamProtocol(d);
    }
  }

  /** {@code retryBudget}: a share of active requests instead of a fixed {@code max_retries}. */
  private static void applyRetryBudget(CircuitBreakers.Thresholds.Builder t, TrafficPolicy policy) {
    if (!policy.hasRetryBudget()) {
      return;
    }
    TrafficPolicy.RetryBudget b = policy.getRetryBudget();
    t.getRetryBudgetBuilder()
        .setBudgetPercent(Percent.newBuilder().setValue(b.hasPercent() ? b.getPercent().getValue() : DEFAULT_BUDGET_PERCENT))
        .setMinRetryConcurrency(UInt32Value.of(b.getMinRetryConcurrency() > 0
            ? b.getMinRetryConcurrency() : DEFAULT_MIN_RETRY_CONCURRENCY));
    // budgetInterval needs Envoy API newer than this build's (1.0.49); it is left to Envoy's default.
  }

  private static void applyHttpConnectionLimits(ClusterDraft d, ConnectionPoolSettings.HTTPSettings http,
      ConnectionPoolSettings.TCPSettings tcp) {
    Duration idle = http.hasIdleTimeout() ? http.getIdleTimeout() : tcp.hasIdleTimeout() ? tcp.getIdleTimeout() : null;
    boolean any = idle != null || http.getMaxRequestsPerConnection() > 0 || tcp.hasMaxConnectionDuration()
        || http.getMaxConcurrentStreams() > 0 || http.hasHttp2KeepAlive();
    if (!any) {
      return;
    }
    HttpProtocolOptions.Builder common = d.httpOptions().getCommonHttpProtocolOptionsBuilder();
    if (idle != null) {
      common.setIdleTimeout(idle);
    }
    if (http.getMaxRequestsPerConnection() > 0) {
      common.setMaxRequestsPerConnection(UInt32Value.of(http.getMaxRequestsPerConnection()));
    }
    if (tcp.hasMaxConnectionDuration()) {
      common.setMaxConnectionDuration(tcp.getMaxConnectionDuration());
    }
    if (d.isHttp2()) {
      Http2ProtocolOptions.Builder h2 = d.httpOptions().getExplicitHttpConfigBuilder().getHttp2ProtocolOptionsBuilder();
      if (http.getMaxConcurrentStreams() > 0) {
        h2.setMaxConcurrentStreams(UInt32Value.of(http.getMaxConcurrentStreams()));
      }
      if (http.hasHttp2KeepAlive()) {
        h2.setConnectionKeepalive(KeepaliveSettings.newBuilder()
            .setInterval(http.getHttp2KeepAlive().getInterval())
            .setTimeout(http.getHttp2KeepAlive().getTimeout()));
      }
    }
  }

  /** Mesh-wide keepalive first, then the rule's fields override one by one. */
  private static void applyTcpKeepalive(Cluster.Builder c, MeshConfig mesh, ConnectionPoolSettings.TCPSettings tcp) {
    if (mesh.hasTcpKeepalive()) {
      setKeepalive(c, mesh.getTcpKeepalive());
    }
    if (tcp.hasTcpKeepalive()) {
      setKeepalive(c, tcp.getTcpKeepalive());
    }
  }

  private static void setKeepalive(Cluster.Builder c, ConnectionPoolSettings.TCPSettings.TcpKeepalive k) {
    UpstreamConnectionOptions.Builder o = c.getUpstreamConnectionOptionsBuilder();
    TcpKeepalive.Builder tk = o.getTcpKeepaliveBuilder();
    if (k.getProbes() > 0) {
      tk.setKeepaliveProbes(UInt32Value.of(k.getProbes()));
    }
    if (k.hasTime()) {
      tk.setKeepaliveTime(UInt32Value.of((int) k.getTime().getSeconds()));
    }
    if (k.hasInterval()) {
      tk.setKeepaliveInterval(UInt32Value.of((int) k.getInterval().getSeconds()));
    }
  }
}
