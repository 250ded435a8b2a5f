package dev.istiod.configstore.validation;

import dev.istiod.api.networking.v1alpha3.DestinationRule;
import dev.istiod.api.networking.v1alpha3.Subset;
import dev.istiod.model.Config;
import java.util.HashSet;
import java.util.Set;

/** DestinationRule rules (upstream's ValidateDestinationRule). */
final class DestinationRuleValidator implements Validator {
  @Override
  public ValidationResult validate(Config config) {
    DestinationRule rule = config.spec(DestinationRule.class);
    Issues issues = new Issues();
    issues.error(HostNames.wildcardDomain(rule.getHost()));
    if (rule.hasTrafficPolicy()) {
      TrafficPolicyChecks.policy(issues, config.namespace(), rule.getTrafficPolicy());
    }
    Set<String> names = new HashSet<>();
    for (Subset subset : rule.getSubsetsList()) {
      if (!names.add(subset.getName())) {
        issues.error("duplicate subset names: " + subset.getName());
      }
      issues.error(HttpRouteChecks.subsetName(subset.getName()));
      issues.errors(Common.labels(subset.getLabelsMap()));
      if (subset.hasTrafficPolicy()) {
        TrafficPolicyChecks.policy(issues, config.namespace(), subset.getTrafficPolicy());
      }
    }
    Common.exportTo(issues, config.namespace(), rule.getExportToList(), false, rule.hasWorkloadSelector());
    if (rule.hasWorkloadSelector()) {
      issues.errors(Common.selectorLabels(rule.getWorkloadSelector().getMatchLabelsMap()));
      if (rule.getWorkloadSelector().getMatchLabelsCount() == 0) {
        issues.warn(Common.SELECTOR_WITHOUT_LABELS);
      }
    }
    return issues.result();
  }
}
