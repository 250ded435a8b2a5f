package dev.istiod.configstore.validation;

import dev.istiod.api.type.v1beta1.PolicyTargetReference;
import dev.istiod.api.type.v1beta1.WorkloadSelector;
import java.util.List;

/** Workload selectors and policy target references of the security kinds. */
final class SelectorChecks {
  private SelectorChecks() {}

  /** Kinds a policy may target, by (canonical group, kind); the version is not checked. */
  private static final List<String[]> ALLOWED_TARGETS = List.of(
      new String[] {"core", "Service"},
      new String[] {"networking.istio.io", "ServiceEntry"},
      new String[] {"gateway.networking.k8s.io", "Gateway"},
      new String[] {"gateway.networking.k8s.io", "GatewayClass"});

  static void selector(Issues issues, WorkloadSelector selector) {
    issues.errors(Common.selectorLabels(selector.getMatchLabelsMap()));
    if (selector.getMatchLabelsCount() == 0) {
      issues.warn(Common.SELECTOR_WITHOUT_LABELS);
    }
  }

  static void oneOfSelectorType(Issues issues, boolean selector, boolean targetRef, int targetRefs) {
    int set = (selector ? 1 : 0) + (targetRef ? 1 : 0) + (targetRefs > 0 ? 1 : 0);
    if (set > 1) {
      issues.error("only one of targetRefs or workloadSelector can be set");
    }
  }

  static void targetRef(Issues issues, PolicyTargetReference ref) {
    if (ref.getName().isEmpty()) {
      issues.error("targetRef name must be set");
    }
    if (!ref.getNamespace().isEmpty()) {
      issues.error("targetRef namespace must not be set; cross namespace referencing is not supported");
    }
    String group = ref.getGroup().isEmpty() ? "core" : ref.getGroup();
    boolean allowed = ALLOWED_TARGETS.stream().anyMatch(t -> t[0].equals(group) && t[1].equals(ref.getKind()));
    if (!allowed) {
      issues.error("targetRef must be to one of [/v1/Service networking.istio.io/v1/ServiceEntry "
          + "gateway.networking.k8s.io/v1/Gateway gateway.networking.k8s.io/v1/GatewayClass] but was "
          + ref.getGroup() + "/" + ref.getKind());
    }
  }
}
