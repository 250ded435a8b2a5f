package dev.istiod.configstore.validation;

import dev.istiod.api.security.v1beta1.AuthorizationPolicy;
import dev.istiod.api.security.v1beta1.AuthorizationPolicy.Action;
import dev.istiod.api.security.v1beta1.Condition;
import dev.istiod.api.security.v1beta1.Operation;
import dev.istiod.api.security.v1beta1.Rule;
import dev.istiod.api.security.v1beta1.Source;
import dev.istiod.model.Config;
import java.util.List;

/**
 * AuthorizationPolicy rules. Upstream prefixes every error with {@code invalid policy
 * <name>.<namespace>:}; so does this validator.
 */
final class AuthorizationPolicyValidator implements Validator {
  @Override
  public ValidationResult validate(Config config) {
    AuthorizationPolicy ap = config.spec(AuthorizationPolicy.class);
    Issues issues = new Issues();
    SelectorChecks.oneOfSelectorType(issues, ap.hasSelector(), ap.hasTargetRef(), ap.getTargetRefsCount());
    if (ap.hasSelector()) {
      SelectorChecks.selector(issues, ap.getSelector());
    }
    if (ap.hasTargetRef()) {
      SelectorChecks.targetRef(issues, ap.getTargetRef());
    }
    ap.getTargetRefsList().forEach(r -> SelectorChecks.targetRef(issues, r));
    if (ap.getAction() == Action.CUSTOM) {
      if (ap.getRulesCount() == 0) {
        issues.error("CUSTOM action without `rules` is meaningless as it will never be triggered, "
            + "add an empty rule `{}` if you want it be triggered for every request");
      } else if (!ap.hasProvider() || ap.getProvider().getName().isEmpty()) {
        issues.error("`provider.name` must not be empty");
      }
      ap.getRulesList().forEach(r -> customRule(issues, r));
    }
    if (ap.hasProvider() && ap.getAction() != Action.CUSTOM) {
      issues.error("`provider` must not be with non CUSTOM action, found " + ap.getAction());
    }
    if (ap.getAction() == Action.DENY && ap.getRulesCount() == 0) {
      issues.error("DENY action without `rules` is meaningless as it will never be triggered, "
          + "add an empty rule `{}` if you want it be triggered for every request");
    }
    for (int i = 0; i < ap.getRulesCount(); i++) {
      rule(issues, ap.getRules(i), i, ap.getAction());
    }
    Issues prefixed = new Issues();
    prefixed.addPrefixed("invalid policy " + config.name() + "." + config.namespace() + ":", issues);
    return prefixed.result();
  }

  private static void customRule(Issues issues, Rule rule) {
    for (Rule.From from : rule.getFromList()) {
      Source s = from.getSource();
      unsupportedWithCustom(issues, s.getNamespacesCount(), "From.Namespaces");
      unsupportedWithCustom(issues, s.getNotNamespacesCount(), "From.NotNamespaces");
      unsupportedWithCustom(issues, s.getServiceAccountsCount(), "From.ServiceAccounts");
      unsupportedWithCustom(issues, s.getNotServiceAccountsCount(), "From.NotServiceAccounts");
      unsupportedWithCustom(issues, s.getTrustDomainsCount(), "From.TrustDomains");
      unsupportedWithCustom(issues, s.getNotTrustDomainsCount(), "From.NotTrustDomains");
      unsupportedWithCustom(issues, s.getPrincipalsCount(), "From.Principals");
      unsupportedWithCustom(issues, s.getNotPrincipalsCount(), "From.NotPrincipals");
      unsupportedWithCustom(issues, s.getRequestPrincipalsCount(), "From.RequestPrincipals");
      unsupportedWithCustom(issues, s.getNotRequestPrincipalsCount(), "From.NotRequestPrincipals");
    }
    for (Condition when : rule.getWhenList()) {
      String key = when.getKey();
      if (List.of("source.namespace", "source.serviceAccount", "source.trustDomain", "source.principal").contains(key)
          || key.startsWith("request.auth.")) {
        issues.error(key + " is currently not supported with CUSTOM action");
      }
    }
  }

  private static void unsupportedWithCustom(Issues issues, int count, String name) {
    if (count != 0) {
      issues.error(name + " is currently not supported with CUSTOM action");
    }
  }

  private static void rule(Issues issues, Rule rule, int i, Action action) {
    boolean tcpInFrom = false;
    boolean tcpInTo = false;
    for (Rule.From from : rule.getFromList()) {
      if (!from.hasSource()) {
        issues.error("`from.source` must not be nil, found at rule " + i);
        continue;
      }
      tcpInFrom |= SecurityChecks.source(issues, from.getSource(), i);
    }
    for (Rule.To to : rule.getToList()) {
      if (!to.hasOperation()) {
        issues.error("`to.operation` must not be nil, found at rule " + i);
        continue;
      }
      Operation op = to.getOperation();
      tcpInTo |= SecurityChecks.operation(issues, op, i);
    }
    for (Condition c : rule.getWhenList()) {
      SecurityChecks.condition(issues, c);
    }
    boolean fromExists = rule.getFromList().stream().anyMatch(Rule.From::hasSource);
    boolean toExists = rule.getToList().stream().anyMatch(Rule.To::hasOperation);
    if (action == Action.DENY && ((fromExists && !toExists && !tcpInFrom) || (toExists && !tcpInTo))) {
      issues.warn("configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to "
          + "the use of only HTTP attributes in a DENY rule; it is recommended to explicitly specify the port");
    }
  }
}
