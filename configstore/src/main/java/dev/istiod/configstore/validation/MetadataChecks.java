package dev.istiod.configstore.validation;

import static dev.istiod.configstore.validation.Issues.q;

import dev.istiod.api.security.v1beta1.AuthorizationPolicy;
import dev.istiod.model.Config;
import java.util.Map;
import java.util.Optional;

/**
 * Checks on object metadata that apply to every kind, run before the kind's own rules (as
 * upstream's validateMetadata wrapper does). The always-reject annotation is how istiod's
 * webhook readiness probe checks that validation really runs.
 */
final class MetadataChecks {
  static final String ALWAYS_REJECT = "internal.istio.io/webhook-always-reject";
  static final String DRY_RUN = "istio.io/dry-run";
  private static final String PARENT_NAMESPACE = "internal.istio.io/parent-namespace";
  private static final String PARENTS = "internal.istio.io/parents";

  private MetadataChecks() {}

  static Optional<String> check(Config config) {
    Map<String, String> annotations = config.meta().annotations();
    String dryRun = annotations.get(DRY_RUN);
    if (dryRun != null) {
      Optional<String> err = dryRun(config, dryRun);
      if (err.isPresent()) {
        return err;
      }
    }
    if (annotations.containsKey(ALWAYS_REJECT)) {
      return Optional.of(q(ALWAYS_REJECT) + " annotation found, rejecting");
    }
    // These internal annotations escalate privileges; users may not set them.
    for (String internal : new String[] {PARENT_NAMESPACE, PARENTS}) {
      if (annotations.containsKey(internal)) {
        return Optional.of(q(internal) + " annotation found, this may not be set by users");
      }
    }
    return Optional.empty();
  }

  private static Optional<String> dryRun(Config config, String value) {
    String ref = config.namespace() + "/" + config.name();
    if (!(config.spec() instanceof AuthorizationPolicy ap)) {
      return Optional.of(ref + " has unsupported annotation " + DRY_RUN + ", please remove the annotation");
    }
    return switch (ap.getAction()) {
      case ALLOW, DENY -> isGoBool(value)
          ? Optional.empty()
          : Optional.of(ref + " has annotation " + DRY_RUN + " with invalid value (" + value
              + "): strconv.ParseBool: parsing " + q(value) + ": invalid syntax");
      default -> Optional.of("the annotation " + DRY_RUN + " currently only supports action ALLOW/DENY, found action "
          + ap.getAction() + " in " + ref);
    };
  }

  /** Go's strconv.ParseBool accepts 1, t, T, TRUE, true, True and their false counterparts. */
  private static boolean isGoBool(String v) {
    return switch (v) {
      case "1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False" -> true;
      default -> false;
    };
  }
}
