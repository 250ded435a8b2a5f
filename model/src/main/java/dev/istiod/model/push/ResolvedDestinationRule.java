package dev.istiod.model.push;

import dev.istiod.api.networking.v1alpha3.DestinationRule;
import dev.istiod.api.networking.v1alpha3.Subset;
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
}
