package dev.istiod.configstore.validation;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.istiod.api.networking.v1alpha3.EnvoyFilter;
import dev.istiod.api.networking.v1alpha3.EnvoyFilter.ApplyTo;
import dev.istiod.api.networking.v1alpha3.EnvoyFilter.EnvoyConfigObjectPatch;
import dev.istiod.model.Config;
import java.util.List;

/**
 * Structural EnvoyFilter rules: each patch names what it applies to, an operation and a value,
 * and its match fits the kind of object patched. The patch value itself is not checked against
 * Envoy's protos (upstream does; that needs a registry of every Envoy type).
 */
final class EnvoyFilterValidator implements Validator {
  private static final int MAX_PROXY_VERSION_LEN = 1024;
  private static final String HCM = "envoy.filters.network.http_connection_manager";

  @Override
  public ValidationResult validate(Config config) {
    EnvoyFilter ef = config.spec(EnvoyFilter.class);
    Issues issues = new Issues();
    issues.warn("EnvoyFilter exposes internal implementation details that may change at any time. "
        + "Prefer other APIs if possible, and exercise extreme caution, especially around upgrades.");
    if (ef.hasWorkloadSelector()) {
      List<String> selectorErrors = Common.selectorLabels(ef.getWorkloadSelector().getLabelsMap());
      if (!selectorErrors.isEmpty()) {
        return new ValidationResult(selectorErrors, List.of());
      }
      if (ef.getWorkloadSelector().getLabelsCount() == 0) {
        issues.warn("Envoy filter: " + Common.SELECTOR_WITHOUT_LABELS + ", will be applied to all services in namespace");
      }
    }
    for (EnvoyConfigObjectPatch cp : ef.getConfigPatchesList()) {
      patch(issues, cp);
    }
    return issues.result();
  }

  private static void patch(Issues issues, EnvoyConfigObjectPatch cp) {
    if (cp.hasMatch() && cp.getMatch().getContext() == EnvoyFilter.PatchContext.WAYPOINT) {
      return; // waypoint patches are not validated upstream either
    }
    if (cp.getApplyTo() == ApplyTo.INVALID) {
      issues.error("Envoy filter: missing applyTo");
      return;
    }
    if (!cp.hasPatch()) {
      issues.error("Envoy filter: missing patch");
      return;
    }
    if (cp.getPatch().getOperation() == EnvoyFilter.Patch.Operation.INVALID) {
      issues.error("Envoy filter: missing patch operation");
      return;
    }
    if (cp.getPatch().getOperation() != EnvoyFilter.Patch.Operation.REMOVE && !cp.getPatch().hasValue()) {
      issues.error("Envoy filter: missing patch value for non-remove operation");
      return;
    }
    String version = cp.getMatch().getProxy().getProxyVersion();
    if (!version.isEmpty()) {
      if (version.length() > MAX_PROXY_VERSION_LEN) {
        issues.warn("Envoy filter: proxyVersion match exceeds " + MAX_PROXY_VERSION_LEN
            + " characters and will be ignored");
      } else {
        try {
          Pattern.compile(version);
        } catch (PatternSyntaxException e) {
          issues.error("Envoy filter: invalid regex for proxy version, [" + e.getMessage() + "]");
          return;
        }
      }
    }
    matchFitsApplyTo(issues, cp);
  }

  private static void matchFitsApplyTo(Issues issues, EnvoyConfigObjectPatch cp) {
    var match = cp.getMatch();
    boolean hasObjectMatch = cp.hasMatch()
        && match.getObjectTypesCase() != EnvoyFilter.EnvoyConfigObjectMatch.ObjectTypesCase.OBJECTTYPES_NOT_SET;
    if (!hasObjectMatch) {
      return;
    }
    switch (cp.getApplyTo()) {
      case LISTENER, FILTER_CHAIN, NETWORK_FILTER, HTTP_FILTER -> {
        if (!match.hasListener()) {
          issues.error("Envoy filter: applyTo for listener class objects cannot have non listener match");
          return;
        }
        var chain = match.getListener().getFilterChain();
        if (!match.getListener().hasFilterChain() || !chain.hasFilter()) {
          return;
        }
        if (cp.getApplyTo() == ApplyTo.LISTENER || cp.getApplyTo() == ApplyTo.FILTER_CHAIN) {
          issues.warn("Envoy filter: filter match has no effect when used with " + cp.getApplyTo());
        }
        var filter = chain.getFilter();
        if (filter.getName().isEmpty()) {
          issues.error("Envoy filter: filter match has no name to match on");
        } else if (filter.hasSubFilter()) {
          if (cp.getApplyTo() != ApplyTo.HTTP_FILTER) {
            issues.error("Envoy filter: subfilter match can be used with applyTo HTTP_FILTER only");
          } else if (!filter.getName().equals(HCM) && !filter.getName().equals("envoy.http_connection_manager")) {
            issues.error("Envoy filter: subfilter match requires filter match with " + HCM);
          } else if (filter.getSubFilter().getName().isEmpty()) {
            issues.error("Envoy filter: subfilter match has no name to match on");
          }
        }
      }
      case ROUTE_CONFIGURATION, VIRTUAL_HOST, HTTP_ROUTE -> {
        if (!match.hasRouteConfiguration()) {
          issues.error("Envoy filter: applyTo for http route class objects cannot have non route configuration match");
        }
      }
      case CLUSTER -> {
        if (!match.hasCluster()) {
          issues.error("Envoy filter: applyTo for cluster class objects cannot have non cluster match");
        }
      }
      default -> { }
    }
  }
}
