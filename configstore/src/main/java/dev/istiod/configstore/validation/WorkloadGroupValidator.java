package dev.istiod.configstore.validation;

import dev.istiod.api.networking.v1alpha3.ReadinessProbe;
import dev.istiod.api.networking.v1alpha3.WorkloadGroup;
import dev.istiod.model.Config;
import java.util.List;

/** WorkloadGroup rules: a template, valid metadata labels, a sane readiness probe. */
final class WorkloadGroupValidator implements Validator {
  @Override
  public ValidationResult validate(Config config) {
    WorkloadGroup wg = config.spec(WorkloadGroup.class);
    if (!wg.hasTemplate()) {
      return ValidationResult.error("template is required");
    }
    // The template's address is filled in when a VM registers, so it is not required here.
    if (wg.hasMetadata()) {
      List<String> errs = Common.labels(wg.getMetadata().getLabelsMap());
      if (!errs.isEmpty()) {
        return ValidationResult.error("invalid labels: " + String.join("; ", errs));
      }
    }
    Issues issues = new Issues();
    if (wg.hasProbe()) {
      probe(issues, wg.getProbe());
    }
    return issues.result();
  }

  private static void probe(Issues issues, ReadinessProbe p) {
    nonNegative(issues, p.getPeriodSeconds(), "periodSeconds");
    nonNegative(issues, p.getInitialDelaySeconds(), "initialDelaySeconds");
    nonNegative(issues, p.getTimeoutSeconds(), "timeoutSeconds");
    nonNegative(issues, p.getSuccessThreshold(), "successThreshold");
    nonNegative(issues, p.getFailureThreshold(), "failureThreshold");
    switch (p.getHealthCheckMethodCase()) {
      case HTTP_GET -> {
        var h = p.getHttpGet();
        issues.error(Common.port(Integer.toUnsignedLong(h.getPort())));
        if (!h.getScheme().isEmpty() && !h.getScheme().equals("HTTPS") && !h.getScheme().equals("HTTP")) {
          issues.error("httpGet.scheme must be one of \"HTTPS\", \"HTTP\"");
        }
        h.getHttpHeadersList().forEach(hdr -> {
          if (hdr.getName().isEmpty()) {
            issues.error("header name cannot be empty");
          } else if (!hdr.getName().matches("^[-A-Za-z0-9]+$")) {
            issues.error("header name " + hdr.getName() + " is not a valid header name");
          }
        });
      }
      case TCP_SOCKET -> issues.error(Common.port(Integer.toUnsignedLong(p.getTcpSocket().getPort())));
      case EXEC -> {
        if (p.getExec().getCommandCount() == 0) {
          issues.error("exec.command is required");
        }
      }
      case GRPC -> issues.error(Common.port(Integer.toUnsignedLong(p.getGrpc().getPort())));
      default -> issues.error("unknown health check method <nil>");
    }
  }

  private static void nonNegative(Issues issues, int v, String what) {
    if (v < 0) {
      issues.error(what + " must be non-negative");
    }
  }
}
