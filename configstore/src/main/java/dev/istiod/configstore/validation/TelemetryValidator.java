package dev.istiod.configstore.validation;

import dev.istiod.api.telemetry.v1alpha1.AccessLogging;
import dev.istiod.api.telemetry.v1alpha1.Metrics;
import dev.istiod.api.telemetry.v1alpha1.MetricsOverrides;
import dev.istiod.api.telemetry.v1alpha1.ProviderRef;
import dev.istiod.api.telemetry.v1alpha1.Telemetry;
import dev.istiod.api.telemetry.v1alpha1.Tracing;
import dev.istiod.model.Config;
import java.util.List;
import java.util.Map;

/**
 * Telemetry rules, as upstream's {@code ValidateTelemetry}: one of selector or target references,
 * named providers, sampling percentages in range, non-empty custom tags, tag overrides that agree
 * with their operation, and access-log filters that at least look like CEL expressions.
 */
final class TelemetryValidator implements Validator {
  @Override
  public ValidationResult validate(Config config) {
    Telemetry t = config.spec(Telemetry.class);
    Issues issues = new Issues();
    SelectorChecks.oneOfSelectorType(issues, t.hasSelector(), t.hasTargetRef(), t.getTargetRefsCount());
    if (t.hasSelector()) {
      SelectorChecks.selector(issues, t.getSelector());
    }
    if (t.hasTargetRef()) {
      SelectorChecks.targetRef(issues, t.getTargetRef());
    }
    t.getTargetRefsList().forEach(r -> SelectorChecks.targetRef(issues, r));
    t.getMetricsList().forEach(m -> metrics(issues, m));
    tracing(issues, t.getTracingList());
    for (AccessLogging l : t.getAccessLoggingList()) {
      if (l.hasFilter()) {
        CelSyntax.check(l.getFilter().getExpression())
            .ifPresent(e -> issues.error("must be a valid CEL expression, " + e));
      }
      providers(issues, l.getProvidersList());
    }
    return issues.result();
  }

  private static void tracing(Issues issues, List<Tracing> tracing) {
    if (tracing.size() > 1) {
      issues.warn("multiple tracing is not currently supported");
    }
    for (Tracing t : tracing) {
      if (t.getProvidersCount() > 1) {
        issues.warn("multiple providers is not currently supported");
      }
      providers(issues, t.getProvidersList());
      double pct = t.getRandomSamplingPercentage().getValue();
      if (pct < 0 || pct > 100) {
        issues.error("randomSamplingPercentage must be in range [0.0, 100.0]");
      }
      for (Map.Entry<String, Tracing.CustomTag> e : t.getCustomTagsMap().entrySet()) {
        if (e.getKey().isEmpty()) {
          issues.error("tag name may not be empty");
        }
        Tracing.CustomTag tag = e.getValue();
        switch (tag.getTypeCase()) {
          case LITERAL -> {
            if (tag.getLiteral().getValue().isEmpty()) {
              issues.error("literal tag value may not be empty");
            }
          }
          case HEADER -> {
            if (tag.getHeader().getName().isEmpty()) {
              issues.error("header tag name may not be empty");
            }
          }
          case ENVIRONMENT -> {
            if (tag.getEnvironment().getName().isEmpty()) {
              issues.error("environment tag name may not be empty");
            }
          }
          default -> {
            // A formatter or an empty tag: upstream checks neither.
          }
        }
      }
    }
  }

  private static void metrics(Issues issues, Metrics m) {
    providers(issues, m.getProvidersList());
    for (MetricsOverrides o : m.getOverridesList()) {
      for (Map.Entry<String, MetricsOverrides.TagOverride> e : o.getTagOverridesMap().entrySet()) {
        if (e.getKey().isEmpty()) {
          issues.warn("tagOverrides.name may not be empty");
        }
        MetricsOverrides.TagOverride to = e.getValue();
        switch (to.getOperation()) {
          case UPSERT -> {
            if (to.getValue().isEmpty()) {
              issues.error("tagOverrides.value must be set when operation is UPSERT");
            }
          }
          case REMOVE -> {
            if (!to.getValue().isEmpty()) {
              issues.error("tagOverrides.value may only be set when operation is UPSERT");
            }
          }
          default -> {
            // UNRECOGNIZED cannot come out of a JSON decode.
          }
        }
      }
      if (o.hasMatch() && o.getMatch().hasCustomMetric() && o.getMatch().getCustomMetric().isEmpty()) {
        issues.error("customMetric may not be empty");
      }
    }
  }

  /** Upstream stops at the first unnamed provider of a list, with one error. */
  private static void providers(Issues issues, List<ProviderRef> providers) {
    if (providers.stream().anyMatch(p -> p.getName().isEmpty())) {
      issues.error("providers.name may not be empty");
    }
  }
}
