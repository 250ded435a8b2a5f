package dev.istiod.xds.core.cluster;

import com.google.protobuf.UInt32Value;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.networking.v1alpha3.ConnectionPoolSettings;
import dev.istiod.api.networking.v1alpha3.LoadBalancerSettings;
import dev.istiod.api.networking.v1alpha3.TrafficPolicy;
import dev.istiod.model.ServicePort;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.UpstreamConnectionOptions;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.KeepaliveSettings;
import io.envoyproxy.envoy.config.core.v3.TcpKeepalive;
import java.util.List;

/**
 * DestinationRule traffic policies on clusters: upstream's merge rules (port level replaces the
 * top level wholesale; a subset's policy overrides field by field) and the ordered contributors
 * that translate a policy into cluster settings.
 */
public final class TrafficPolicies {
  /** Envoy's circuit breaker limits are raised to the maximum: Istio applies its own via DRs. */
  static final int MAX = -1; // uint32 max as a Java int

  /** HTTP/2 upgrade runs before the connection pool so h2 settings land on an h2 cluster. */
  static final TrafficPolicyContributor H2_UPGRADE = (ctx, d) -> {
    if (shouldUpgradeToH2(ctx.port(), ctx.inputs().mesh(), ctx.policy().getConnectionPool())) {
      UpstreamProtocols.setHttp2(d);
    }
  };

  static final TrafficPolicyContributor CONNECTION_POOL = TrafficPolicies::applyConnectionPool;

  static final TrafficPolicyContributor LOAD_BALANCER = (ctx, d) -> applyLoadBalancer(ctx.policy().getLoadBalancer(), d);

  /** Envoy requires CLUSTER_PROVIDED for original-destination clusters, whatever else was set. */
  static final TrafficPolicyContributor ORIGINAL_DST_LB = (ctx, d) -> {
    if (d.cluster().getType() == Cluster.DiscoveryType.ORIGINAL_DST) {
      d.cluster().setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED);
    }
  };

  /** Issue 3 adds outlier detection, TLS origination, consistent hash and locality here. */
  public static final List<TrafficPolicyContributor> OUTBOUND =
      List.of(H2_UPGRADE, CONNECTION_POOL, LOAD_BALANCER, ORIGINAL_DST_LB);
  /** Only the connection pool applies server side, so the receiver matches the client's volume. */
  public static final List<TrafficPolicyContributor> INBOUND = List.of(CONNECTION_POOL, ORIGINAL_DST_LB);

  private TrafficPolicies() {}

  static void apply(List<TrafficPolicyContributor> contributors, TrafficPolicyContributor.Context ctx, ClusterDraft d) {
    for (TrafficPolicyContributor c : contributors) {
      c.apply(ctx, d);
    }
  }

  /**
   * The policy for one port: a matching {@code portLevelSettings} entry replaces the top-level
   * settings (fields it omits fall back to defaults, not to the top level), as upstream.
   */
  static TrafficPolicy forPort(TrafficPolicy policy, int port) {
    for (TrafficPolicy.PortTrafficPolicy p : policy.getPortLevelSettingsList()) {
      if (p.getPort().getNumber() == port) {
        TrafficPolicy.Builder b = TrafficPolicy.newBuilder();
        if (p.hasConnectionPool()) {
          b.setConnectionPool(p.getConnectionPool());
        }
        if (p.hasLoadBalancer()) {
          b.setLoadBalancer(p.getLoadBalancer());
        }
        if (p.hasOutlierDetection()) {
          b.setOutlierDetection(p.getOutlierDetection());
        }
        if (p.hasTls()) {
          b.setTls(p.getTls());
        }
        return b.build();
      }
    }
    return policy.toBuilder().clearPortLevelSettings().build();
  }

  private static boolean hasPortLevel(TrafficPolicy policy, int port) {
    return policy.getPortLevelSettingsList().stream().anyMatch(p -> p.getPort().getNumber() == port);
  }

  /**
   * A subset's effective policy: the rule's policy for the port, overridden by each piece the
   * subset's policy (for the port) sets; a subset port-level entry overrides every piece.
   */
  static TrafficPolicy forSubset(TrafficPolicy rulePolicy, TrafficPolicy subsetPolicy, int port) {
    TrafficPolicy base = forPort(rulePolicy, port);
    if (subsetPolicy == null || subsetPolicy.equals(TrafficPolicy.getDefaultInstance())) {
      return base;
    }
    boolean portLevel = hasPortLevel(subsetPolicy, port);
    TrafficPolicy sub = forPort(subsetPolicy, port);
    TrafficPolicy.Builder merged = base.toBuilder();
    if (sub.hasConnectionPool() || portLevel) {
      merged.setConnectionPool(sub.getConnectionPool());
    }
    if (sub.hasOutlierDetection() || portLevel) {
      merged.setOutlierDetection(sub.getOutlierDetection());
    }
    if (sub.hasLoadBalancer() || portLevel) {
      merged.setLoadBalancer(sub.getLoadBalancer());
    }
    if (sub.hasTls() || portLevel) {
      merged.setTls(sub.getTls());
    }
    if (sub.hasTunnel()) {
      merged.setTunnel(sub.getTunnel());
    }
    if (sub.hasProxyProtocol()) {
      merged.setProxyProtocol(sub.getProxyProtocol());
    }
    if (sub.hasRetryBudget()) {
      merged.setRetryBudget(sub.getRetryBudget());
    }
    return merged.build();
  }

  /** Mesh-wide {@code defaultTrafficPolicy} fills the connection pool and outlier detection a rule leaves unset. */
  static TrafficPolicy withMeshDefaults(TrafficPolicy policy, MeshConfig mesh) {
    if (!mesh.hasDefaultTrafficPolicy()) {
      return policy;
    }
    TrafficPolicy.Builder b = policy.toBuilder();
    if (!policy.hasConnectionPool() && mesh.getDefaultTrafficPolicy().hasConnectionPool()) {
      b.setConnectionPool(mesh.getDefaultTrafficPolicy().getConnectionPool());
    }
    if (!policy.hasOutlierDetection() && mesh.getDefaultTrafficPolicy().hasOutlierDetection()) {
      b.setOutlierDetection(mesh.getDefaultTrafficPolicy().getOutlierDetection());
    }
    return b.build();
  }

  private static boolean shouldUpgradeToH2(ServicePort port, MeshConfig mesh, ConnectionPoolSettings pool) {
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
    return port != null && port.protocol().isHttp() && mesh.getH2UpgradePolicy() == MeshConfig.H2UpgradePolicy.UPGRADE;
  }

  private static void applyConnectionPool(TrafficPolicyContributor.Context ctx, ClusterDraft d) {
    ConnectionPoolSettings pool = ctx.policy().getConnectionPool();
    Cluster.Builder c = d.cluster();
    CircuitBreakers.Thresholds.Builder t = CircuitBreakers.Thresholds.newBuilder()
        .setMaxRetries(UInt32Value.of(MAX))
        .setMaxRequests(UInt32Value.of(MAX))
        .setMaxConnections(UInt32Value.of(MAX))
        .setMaxPendingRequests(UInt32Value.of(MAX))
        .setTrackRemaining(true);
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

  private static void applyHttpConnectionLimits(ClusterDraft d, ConnectionPoolSettings.HTTPSettings http,
      ConnectionPoolSettings.TCPSettings tcp) {
    com.google.protobuf.Duration idle = http.hasIdleTimeout() ? http.getIdleTimeout()
        : tcp.hasIdleTimeout() ? tcp.getIdleTimeout() : null;
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

  /**
   * Simple load balancer policies; LEAST_REQUEST is the default, as upstream. PASSTHROUGH turns
   * the cluster into an original-destination cluster. Consistent hash arrives with issue 3.
   */
  private static void applyLoadBalancer(LoadBalancerSettings lb, ClusterDraft d) {
    Cluster.Builder c = d.cluster();
    if (c.getType() == Cluster.DiscoveryType.ORIGINAL_DST) {
      c.setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED);
      return;
    }
    switch (lb.getSimple()) {
      case RANDOM -> c.setLbPolicy(Cluster.LbPolicy.RANDOM);
      case ROUND_ROBIN -> c.setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN);
      case PASSTHROUGH -> {
        c.setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED);
        c.setType(Cluster.DiscoveryType.ORIGINAL_DST);
        c.clearLoadAssignment();
        c.clearEdsClusterConfig();
      }
      default -> c.setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST);
    }
  }
}
