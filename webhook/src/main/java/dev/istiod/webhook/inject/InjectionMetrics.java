package dev.istiod.webhook.inject;

import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The injector's metrics under upstream's names (pkg/kube/inject/monitoring.go). Upstream's
 * names end in {@code _total} and are exported exactly so; the Prometheus client strips that
 * suffix from counters, so these are kept as only-increasing gauges, which keep their names.
 * As upstream, every answered request counts as a success, and a failure is also counted when
 * the answer refuses the pod or the request was malformed.
 */
final class InjectionMetrics {
  private final Gauge requests;
  private final Gauge success;
  private final Gauge failure;
  private final Gauge skip;

  InjectionMetrics(PrometheusRegistry registry) {
    requests = gauge(registry, "sidecar_injection_requests_total", "Total number of sidecar injection requests.");
    success = gauge(registry, "sidecar_injection_success_total",
        "Total number of successful sidecar injection requests.");
    failure = gauge(registry, "sidecar_injection_failure_total", "Total number of failed sidecar injection requests.");
    skip = gauge(registry, "sidecar_injection_skip_total", "Total number of skipped sidecar injection requests.");
  }

  private static Gauge gauge(PrometheusRegistry registry, String name, String help) {
    return Gauge.builder().name(name).help(help).register(registry);
  }

  void request() {
    requests.inc();
  }

  void success() {
    success.inc();
  }

  void failure() {
    failure.inc();
  }

  void skip() {
    skip.inc();
  }
}
