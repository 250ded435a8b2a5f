package dev.istiod.xds.core.security.authz;

import dev.istiod.api.security.v1beta1.AuthorizationPolicy;
import dev.istiod.api.security.v1beta1.Rule;
import dev.istiod.model.Config;
import dev.istiod.model.push.AuthorizationPolicyIndex.WorkloadPolicies;
import dev.istiod.xds.core.ListenerClass;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.filter.Filters;
import dev.istiod.xds.core.filter.HttpFilterContributor;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * AuthorizationPolicy enforced by stock Envoy's RBAC filters, as upstream's authz builder: on a
 * sidecar's inbound connection managers and TCP chains and on a gateway's, one RBAC filter per
 * action in the order AUDIT (action LOG), DENY, ALLOW, so a request is denied when any DENY
 * policy matches, and, when any ALLOW policy applies to the workload, unless one matches.
 *
 * <p>An ALLOW policy without rules (and an ALLOW rule that can never match here) still produces
 * the ALLOW filter, which then denies everything: {@code spec: {}} is allow-nothing. A DENY policy
 * without rules denies nothing. CUSTOM (ext_authz) policies are not enforced by this istiod; they
 * are reported as not applied.
 */
public final class AuthzFilters {
  public static final String HTTP_RBAC = "envoy.filters.http.rbac";
  public static final String NETWORK_RBAC = "envoy.filters.network.rbac";
  /** Upstream's stat prefix of the network RBAC filter. */
  static final String TCP_STAT_PREFIX = "tcp.";

  /** The HTTP filters' contributor: inbound sidecar and gateway connection managers only. */
  public static final HttpFilterContributor HTTP_CONTRIBUTOR = (ctx, out) -> {
    if (ctx.listenerClass() == ListenerClass.SIDECAR_INBOUND || ctx.listenerClass() == ListenerClass.GATEWAY) {
      out.addAll(http(ctx.inputs()));
    }
  };

  private AuthzFilters() {}

  /** The HTTP RBAC filters of a workload's connection managers; none without policies. */
  public static List<HttpFilter> http(ProxyInputs in) {
    List<HttpFilter> out = new ArrayList<>();
    for (Built built : rules(in, false)) {
      var rbac = io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.newBuilder();
      built.enforced().ifPresent(rbac::setRules);
      built.shadow().ifPresent(shadow -> rbac.setShadowRules(shadow).setShadowRulesStatPrefix(built.shadowStatPrefix()));
      out.add(Filters.httpFilter(HTTP_RBAC, rbac.build()));
    }
    return List.copyOf(out);
  }

  /** The network RBAC filters that go before a workload's tcp_proxy; none without policies. */
  public static List<Filter> network(ProxyInputs in) {
    List<Filter> out = new ArrayList<>();
    for (Built built : rules(in, true)) {
      var rbac = io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.newBuilder().setStatPrefix(TCP_STAT_PREFIX);
      built.enforced().ifPresent(rbac::setRules);
      built.shadow().ifPresent(shadow -> rbac.setShadowRules(shadow).setShadowRulesStatPrefix(built.shadowStatPrefix()));
      out.add(Filters.networkFilter(NETWORK_RBAC, rbac.build()));
    }
    return List.copyOf(out);
  }

  /**
   * One action's RBAC filter: the rules Envoy enforces, and the rules of dry-run policies, which it
   * only evaluates and counts ({@code shadow_rules}, stats under {@code istio_dry_run_<action>_}).
   * At least one of the two is present.
   */
  private record Built(Optional<RBAC> enforced, Optional<RBAC> shadow, String shadowStatPrefix) {}

  private static List<Built> rules(ProxyInputs in, boolean forTcp) {
    WorkloadPolicies policies = in.push().authorizationPolicies()
        .forWorkload(in.proxy().configNamespace(), in.proxy().labels());
    if (policies.isEmpty()) {
      return List.of();
    }
    JwtIssuers issuers = needsIssuers(policies) ? JwtIssuers.of(in) : JwtIssuers.NONE;
    List<Built> out = new ArrayList<>();
    built(policies.audit(), RBAC.Action.LOG, forTcp, issuers).ifPresent(out::add);
    built(policies.deny(), RBAC.Action.DENY, forTcp, issuers).ifPresent(out::add);
    built(policies.allow(), RBAC.Action.ALLOW, forTcp, issuers).ifPresent(out::add);
    return out;
  }

  /**
   * Splits an action's policies by upstream's {@code istio.io/dry-run} annotation: dry-run ones go
   * to the shadow rules only, so they never change what is allowed (all ALLOW policies in dry run
   * means no enforced ALLOW at all, not allow-nothing).
   */
  private static Optional<Built> built(List<Config> policies, RBAC.Action action, boolean forTcp, JwtIssuers issuers) {
    List<Config> enforced = policies.stream().filter(c -> !isDryRun(c)).toList();
    List<Config> dryRun = policies.stream().filter(AuthzFilters::isDryRun).toList();
    Optional<RBAC> rules = rbac(enforced, action, forTcp, issuers);
    Optional<RBAC> shadow = rbac(dryRun, action, forTcp, issuers);
    if (rules.isEmpty() && shadow.isEmpty()) {
      return Optional.empty();
    }
    String prefix = "istio_dry_run_" + (action == RBAC.Action.ALLOW ? "allow_" : action == RBAC.Action.DENY
        ? "deny_" : "log_");
    return Optional.of(new Built(rules, shadow, prefix));
  }

  /**
   * Upstream's dry-run annotation: the policy is evaluated and reported, never enforced. Its value
   * is a Go bool (validation refuses anything strconv.ParseBool does not accept).
   */
  static boolean isDryRun(Config policy) {
    return GO_TRUE.contains(policy.meta().annotations().getOrDefault(DRY_RUN_ANNOTATION, ""));
  }

  private static final java.util.Set<String> GO_TRUE = java.util.Set.of("1", "t", "T", "TRUE", "true", "True");

  static final String DRY_RUN_ANNOTATION = "istio.io/dry-run";

  /** True when a rule matches on JWTs, so the workload's issuers are needed (read only then). */
  private static boolean needsIssuers(WorkloadPolicies p) {
    return java.util.stream.Stream.of(p.audit(), p.deny(), p.allow()).flatMap(List::stream)
        .flatMap(c -> c.spec(AuthorizationPolicy.class).getRulesList().stream())
        .anyMatch(r -> r.getFromList().stream().anyMatch(f -> f.getSource().getRequestPrincipalsCount() > 0
            || f.getSource().getNotRequestPrincipalsCount() > 0)
            || r.getWhenList().stream().anyMatch(w -> w.getKey().startsWith("request.auth.")));
  }

  /** One RBAC of all policies of an action; empty when there are none, or (not ALLOW) none can match. */
  private static Optional<RBAC> rbac(List<Config> policies, RBAC.Action action, boolean forTcp, JwtIssuers issuers) {
    if (policies.isEmpty()) {
      return Optional.empty();
    }
    RuleTranslator translator = new RuleTranslator(forTcp, action == RBAC.Action.ALLOW, issuers);
    RBAC.Builder rbac = RBAC.newBuilder().setAction(action);
    for (Config c : policies) {
      AuthorizationPolicy p = c.spec(AuthorizationPolicy.class);
      if (p.getRulesCount() == 0) {
        // No rules: a policy that never matches, so an ALLOW of nothing denies everything.
        rbac.putPolicies(policyName(c, 0), MATCH_NEVER);
        continue;
      }
      for (int i = 0; i < p.getRulesCount(); i++) {
        Rule rule = p.getRules(i);
        Optional<Policy> policy = translator.translate(rule);
        if (policy.isPresent()) {
          rbac.putPolicies(policyName(c, i), policy.get());
        }
      }
    }
    if (action != RBAC.Action.ALLOW && rbac.getPoliciesCount() == 0) {
      return Optional.empty(); // a DENY or LOG filter that matches nothing changes nothing
    }
    return Optional.of(rbac.build());
  }

  /** Upstream's policy name, shown in Envoy's RBAC stats and logs. */
  static String policyName(Config c, int rule) {
    return "ns[" + c.namespace() + "]-policy[" + c.name() + "]-rule[" + rule + "]";
  }

  private static final Policy MATCH_NEVER = Policy.newBuilder()
      .addPermissions(Permission.newBuilder().setNotRule(Permission.newBuilder().setAny(true)))
      .addPrincipals(Principal.newBuilder().setNotId(Principal.newBuilder().setAny(true)))
      .build();
}
