package dev.istiod.model.push;

import dev.istiod.api.security.v1beta1.AuthorizationPolicy;
import dev.istiod.model.Config;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * AuthorizationPolicies of the mesh, as upstream's {@code AuthorizationPolicies}: which policies
 * apply to a workload, grouped by action. A policy in the root namespace applies mesh-wide (with a
 * selector: to the matching workloads of every namespace); one in another namespace applies to that
 * namespace's workloads (all of them without a selector, the matching ones with one). Policies with
 * {@code targetRef}/{@code targetRefs} attach to waypoints and Kubernetes Gateways, which this
 * istiod does not serve, so they apply to no sidecar or gateway here (reported as not applied).
 */
public final class AuthorizationPolicyIndex {
  /**
   * The policies that apply to one workload, each list in a stable order (namespace, then name).
   *
   * @param custom CUSTOM (ext_authz) policies; this istiod does not enforce them
   * @param audit AUDIT policies
   */
  public record WorkloadPolicies(List<Config> custom, List<Config> deny, List<Config> allow, List<Config> audit) {
    public static final WorkloadPolicies NONE = new WorkloadPolicies(List.of(), List.of(), List.of(), List.of());

    public WorkloadPolicies {
      custom = List.copyOf(custom);
      deny = List.copyOf(deny);
      allow = List.copyOf(allow);
      audit = List.copyOf(audit);
    }

    public boolean isEmpty() {
      return custom.isEmpty() && deny.isEmpty() && allow.isEmpty() && audit.isEmpty();
    }
  }

  private static final Comparator<Config> BY_NAME = Comparator.comparing(Config::namespace).thenComparing(Config::name);

  private final String rootNamespace;
  private final List<Config> policies;

  private AuthorizationPolicyIndex(String rootNamespace, List<Config> policies) {
    this.rootNamespace = rootNamespace;
    this.policies = policies;
  }

  public static AuthorizationPolicyIndex build(List<Config> policies, String rootNamespace) {
    return new AuthorizationPolicyIndex(rootNamespace,
        policies.stream().filter(c -> !hasTargetRef(c.spec(AuthorizationPolicy.class))).sorted(BY_NAME).toList());
  }

  public static AuthorizationPolicyIndex empty(String rootNamespace) {
    return new AuthorizationPolicyIndex(rootNamespace, List.of());
  }

  /** True when a policy names a target reference: it then applies to no sidecar or gateway. */
  public static boolean hasTargetRef(AuthorizationPolicy p) {
    return p.hasTargetRef() || p.getTargetRefsCount() > 0;
  }

  public boolean isEmpty() {
    return policies.isEmpty();
  }

  /** The policies that apply to a workload with these labels in this namespace. */
  public WorkloadPolicies forWorkload(String namespace, Map<String, String> labels) {
    if (policies.isEmpty()) {
      return WorkloadPolicies.NONE;
    }
    List<Config> custom = new ArrayList<>();
    List<Config> deny = new ArrayList<>();
    List<Config> allow = new ArrayList<>();
    List<Config> audit = new ArrayList<>();
    for (Config c : policies) {
      if (!c.namespace().equals(rootNamespace) && !c.namespace().equals(namespace)) {
        continue;
      }
      AuthorizationPolicy p = c.spec(AuthorizationPolicy.class);
      Map<String, String> selector = p.getSelector().getMatchLabelsMap();
      if (!labels.entrySet().containsAll(selector.entrySet())) {
        continue;
      }
      switch (p.getAction()) {
        case ALLOW -> allow.add(c);
        case DENY -> deny.add(c);
        case AUDIT -> audit.add(c);
        case CUSTOM -> custom.add(c);
        default -> { } // an action this istiod does not know: validation rejects it
      }
    }
    return new WorkloadPolicies(custom, deny, allow, audit);
  }
}
