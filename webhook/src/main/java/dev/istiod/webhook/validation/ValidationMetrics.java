package dev.istiod.webhook.validation;

import dev.istiod.webhook.AdmissionRequest;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Galley's validation metrics under upstream's names and labels
 * (pkg/webhooks/validation/server/monitoring.go). Dry-run failures are not counted, as upstream:
 * istiod's own readiness check sends one.
 */
final class ValidationMetrics {
  static final String UNSUPPORTED_OPERATION = "unsupported_operation";
  static final String YAML_DECODE_ERROR = "yaml_decode_error";
  static final String UNKNOWN_TYPE = "unknown_type";
  static final String CRD_CONVERSION_ERROR = "crd_conversion_error";
  static final String INVALID_RESOURCE = "invalid_resource";

  private final Counter passed;
  private final Counter failed;
  private final Counter httpError;

  ValidationMetrics(PrometheusRegistry registry) {
    passed = Counter.builder().name("galley_validation_passed").help("Resource is valid")
        .labelNames("group", "version", "resource").register(registry);
    failed = Counter.builder().name("galley_validation_failed").help("Resource validation failed")
        .labelNames("group", "version", "resource", "reason").register(registry);
    httpError = Counter.builder().name("galley_validation_http_error").help("Resource validation http serve errors")
        .labelNames("status").register(registry);
  }

  void passed(AdmissionRequest r) {
    passed.labelValues(r.resource().group(), r.resource().version(), r.resource().resource()).inc();
  }

  void failed(AdmissionRequest r, String reason) {
    if (!r.dryRun()) {
      failed.labelValues(r.resource().group(), r.resource().version(), r.resource().resource(), reason).inc();
    }
  }

  void httpError(int status) {
    httpError.labelValues(Integer.toString(status)).inc();
  }
}
