package dev.istiod.model.push;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.networking.v1alpha3.DestinationRule;
import dev.istiod.api.networking.v1alpha3.Subset;
import dev.istiod.api.networking.v1alpha3.TrafficPolicy;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigKey;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A DestinationRule as generators use it: host resolved to an FQDN, and possibly merged with
 * other DestinationRules for the same host in the same namespace (subsets concatenated, the
 * first top-level traffic policy kept, as upstream's {@code mergeDestinationRule}).
 *
 * <p>It also owns upstream's traffic policy merge rules ({@link #policy}), because both the
 * cluster builder (CDS) and the endpoint builder (EDS, for locality priorities) need the same
 * effective policy of a port and subset.
 *
 * @param host the resolved host ({@code reviews.default.svc.cluster.local}, or a wildcard)
 * @param rule the effective (merged) rule, with {@code host} already resolved
 * @param config the first (oldest) config contributing; its metadata names the rule in Envoy
 *     metadata
 * @param exportTo the namespaces the rule is exported to, {@code .} already replaced by the
 *     rule's namespace; empty means the mesh default
 * @param from every config merged into this rule, oldest first
 */
public record ResolvedDestinationRule(
    String host, DestinationRule rule, Config config, Set<String> exportTo, List<ConfigKey> from) {

  public ResolvedDestinationRule {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(config, "config");
    exportTo = Set.copyOf(exportTo);
    from = List.copyOf(from);
  }

  public String namespace() {
    return config.namespace();
  }

  /** The workload selector labels, or empty when the rule applies to every workload. */
  public Optional<Map<String, String>> workloadSelector() {
    return rule.hasWorkloadSelector() ? Optional.of(rule.getWorkloadSelector().getMatchLabelsMap()) : Optional.empty();
  }

  public Optional<Subset> subset(String name) {
    return rule.getSubsetsList().stream().filter(s -> s.getName().equals(name)).findFirst();
  }

  /**
   * The traffic policy of one port and subset ({@code ""} for the service's own cluster), as
   * upstream's {@code MergeSubsetTrafficPolicy}: the rule's policy for the port, then each
   * top-level group (connection pool, outlier detection, load balancer, TLS) the subset's policy
   * for the port sets replaces the rule's group wholesale. A subset port-level entry replaces all
   * four groups, even those it leaves unset.
   */
  public TrafficPolicy policy(int port, String subset) {
    TrafficPolicy base = forPort(rule.getTrafficPolicy(), port);
    Optional<Subset> s = subset.isEmpty() ? Optional.empty() : subset(subset);
    if (s.isEmpty() || !s.get().hasTrafficPolicy()) {
      return base;
    }
    TrafficPolicy subsetPolicy = s.get().getTrafficPolicy();
    boolean portLevel = hasPortLevel(subsetPolicy, port);
    TrafficPolicy sub = forPort(subsetPolicy, port);
    TrafficPolicy.Builder merged = base.toBuilder();
    if (sub.hasConnectionPool() || portLevel) {
      merged.clearConnectionPool();
      if (sub.hasConnectionPool()) {
        merged.setConnectionPool(sub.getConnectionPool());
      }
    }
    if (sub.hasOutlierDetection() || portLevel) {
      merged.clearOutlierDetection();
      if (sub.hasOutlierDetection()) {
        merged.setOutlierDetection(sub.getOutlierDetection());
      }
    }
    if (sub.hasLoadBalancer() || portLevel) {
      merged.clearLoadBalancer();
      if (sub.hasLoadBalancer()) {
        merged.setLoadBalancer(sub.getLoadBalancer());
      }
    }
    if (sub.hasTls() || portLevel) {
      merged.clearTls();
      if (sub.hasTls()) {
        merged.setTls(sub.getTls());
      }
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

  /**
   * The policy a cluster of {@code port}/{@code subset} gets: the rule's (if any), with the
   * mesh-wide {@code defaultTrafficPolicy} filling the connection pool and outlier detection
   * groups the rule leaves unset (each group is taken whole, never field by field).
   */
  public static TrafficPolicy effectivePolicy(Optional<ResolvedDestinationRule> dr, int port, String subset,
      MeshConfig mesh) {
    TrafficPolicy policy = dr.map(d -> d.policy(port, subset)).orElse(TrafficPolicy.getDefaultInstance());
    return withMeshDefaults(policy, mesh);
  }

  /** Mesh-wide {@code defaultTrafficPolicy} fills the connection pool and outlier detection a rule leaves unset. */
  public static TrafficPolicy withMeshDefaults(TrafficPolicy policy, MeshConfig mesh) {
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

  /**
   * The policy for one port: a matching {@code portLevelSettings} entry replaces the top-level
   * settings (fields it omits fall back to defaults, not to the top level), as upstream's
   * {@code GetPortLevelTrafficPolicy}. Port-level entries carry no tunnel, proxy protocol or
   * retry budget, so those are dropped too.
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
}
