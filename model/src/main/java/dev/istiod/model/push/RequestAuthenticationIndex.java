package dev.istiod.model.push;

import dev.istiod.api.security.v1beta1.JWTRule;
import dev.istiod.api.security.v1beta1.RequestAuthentication;
import dev.istiod.model.Config;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * RequestAuthentication policies of the mesh, as upstream's {@code GetJwtPoliciesForWorkload}:
 * unlike PeerAuthentication nothing overrides anything, every applicable policy contributes its
 * JWT rules. A policy applies to a workload when it lives in the workload's namespace or in the
 * root namespace and its selector (empty: every workload) is a subset of the workload's labels.
 *
 * <p>Policies with {@code targetRef}/{@code targetRefs} bind to waypoints and Kubernetes Gateways,
 * which this istiod does not serve; as upstream for sidecars and Istio gateways they are left out
 * here (and reported as not applied elsewhere).
 */
public final class RequestAuthenticationIndex {
  /** Issuer order, as upstream sorts the merged rules so the generated filter is deterministic. */
  private static final Comparator<JWTRule> BY_ISSUER = Comparator.comparing(JWTRule::getIssuer);

  private final String rootNamespace;
  private final Map<String, List<Config>> byNamespace;

  private RequestAuthenticationIndex(String rootNamespace, Map<String, List<Config>> byNamespace) {
    this.rootNamespace = rootNamespace;
    this.byNamespace = byNamespace;
  }

  public static RequestAuthenticationIndex build(List<Config> policies, String rootNamespace) {
    Map<String, List<Config>> byNs = new HashMap<>();
    policies.stream()
        .filter(c -> !hasTargetRef(c.spec(RequestAuthentication.class)))
        .sorted(PeerAuthenticationIndex.OLDEST_FIRST)
        .forEach(c -> byNs.computeIfAbsent(c.namespace(), k -> new ArrayList<>()).add(c));
    Map<String, List<Config>> frozen = new HashMap<>();
    byNs.forEach((ns, l) -> frozen.put(ns, List.copyOf(l)));
    return new RequestAuthenticationIndex(rootNamespace, Map.copyOf(frozen));
  }

  public static RequestAuthenticationIndex empty(String rootNamespace) {
    return build(List.of(), rootNamespace);
  }

  /** True when the policy binds through targetRef(s) rather than a workload selector. */
  public static boolean hasTargetRef(RequestAuthentication ra) {
    return ra.hasTargetRef() || ra.getTargetRefsCount() > 0;
  }

  public boolean isEmpty() {
    return byNamespace.isEmpty();
  }

  /** The policies that apply to a workload with these labels in this namespace, oldest first per namespace. */
  public List<Config> forWorkload(String namespace, Map<String, String> labels) {
    List<Config> out = new ArrayList<>();
    collect(namespace, labels, out);
    if (!namespace.equals(rootNamespace)) {
      collect(rootNamespace, labels, out);
    }
    return List.copyOf(out);
  }

  /** All JWT rules of every applicable policy, sorted by issuer (stable, so policy order breaks ties). */
  public List<JWTRule> jwtRules(String namespace, Map<String, String> labels) {
    List<JWTRule> rules = new ArrayList<>();
    for (Config c : forWorkload(namespace, labels)) {
      rules.addAll(c.spec(RequestAuthentication.class).getJwtRulesList());
    }
    rules.sort(BY_ISSUER);
    return List.copyOf(rules);
  }

  private void collect(String namespace, Map<String, String> labels, List<Config> out) {
    for (Config c : byNamespace.getOrDefault(namespace, List.of())) {
      Map<String, String> selector = c.spec(RequestAuthentication.class).getSelector().getMatchLabelsMap();
      if (labels.entrySet().containsAll(selector.entrySet())) {
        out.add(c);
      }
    }
  }
}
