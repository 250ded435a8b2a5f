package dev.istiod.webhook.inject;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a pod gets a sidecar, re-checked by the injector after the webhook configuration's
 * namespace and object selectors let the pod through (upstream's injectRequired):
 * host-network pods and Kubernetes' system namespaces never; then the pod's
 * {@code sidecar.istio.io/inject} label (or, without the label, the deprecated annotation of
 * the same name); then the never- and always-inject selectors; then the policy.
 */
final class InjectionPolicy {
  /** Kubernetes' own namespaces, and kind's local-path provisioner. */
  static final Set<String> IGNORED_NAMESPACES =
      Set.of("kube-system", "kube-public", "kube-node-lease", "local-path-storage");
  static final String INJECT = "sidecar.istio.io/inject";
  private static final Logger log = LoggerFactory.getLogger(InjectionPolicy.class);

  private InjectionPolicy() {}

  static boolean required(InjectionConfig config, JsonNode pod, String namespace) {
    if (pod.path("spec").path("hostNetwork").asBoolean(false)) {
      return false;
    }
    if (IGNORED_NAMESPACES.contains(namespace)) {
      return false;
    }
    Map<String, String> labels = Json.stringMap(pod.path("metadata").path("labels"));
    Map<String, String> annotations = Json.stringMap(pod.path("metadata").path("annotations"));
    String selector = labels.containsKey(INJECT) ? labels.get(INJECT) : annotations.getOrDefault(INJECT, "");
    Boolean explicit = switch (selector) {
      case "true" -> Boolean.TRUE;
      case "false" -> Boolean.FALSE;
      case "" -> null;
      default -> {
        log.warn("invalid value for {}: \"{}\"; only 'true' and 'false' are accepted, falling back to the "
            + "default injection policy", INJECT, selector);
        yield null;
      }
    };
    if (explicit == null) {
      if (config.neverInjectSelector().stream().anyMatch(s -> s.matches(labels))) {
        explicit = Boolean.FALSE;
      } else if (config.alwaysInjectSelector().stream().anyMatch(s -> s.matches(labels))) {
        explicit = Boolean.TRUE;
      }
    }
    return switch (config.policy()) {
      case "enabled" -> explicit == null || explicit;
      case "disabled" -> explicit != null && explicit;
      default -> {
        log.error("illegal value for autoInject: {}, must be one of [disabled,enabled]; auto injection disabled",
            config.policy());
        yield false;
      }
    };
  }
}
