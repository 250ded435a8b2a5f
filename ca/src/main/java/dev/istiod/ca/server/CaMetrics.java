package dev.istiod.ca.server;

import dev.istiod.ca.CaError;
import dev.istiod.ca.IstioCa;
import dev.istiod.ca.pki.KeyCertBundle;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Citadel's metrics under upstream's names (security/pkg/server/ca/monitoring.go). Counters are
 * registered without a {@code _total} suffix, as upstream exports them. The expiry gauges are
 * computed from the CA's current bundle at scrape time, so they follow rotations and reloads.
 */
public final class CaMetrics {
  private final Counter csr;
  private final Counter authnError;
  private final Counter csrParsingError;
  private final Counter signError;
  private final Counter success;

  public CaMetrics(PrometheusRegistry registry, IstioCa ca) {
    csr = counter(registry, "citadel_server_csr_count", "The number of CSRs received by Citadel server.");
    authnError = counter(registry, "citadel_server_authentication_failure_count",
        "The number of authentication failures.");
    csrParsingError = counter(registry, "citadel_server_csr_parsing_err_count",
        "The number of errors occurred when parsing the CSR.");
    // Registered for upstream's dashboards; never incremented, as identities never come from the CSR.
    counter(registry, "citadel_server_id_extraction_err_count",
        "The number of errors occurred when extracting the ID from CSR.");
    signError = Counter.builder().name("citadel_server_csr_sign_err_count")
        .help("The number of errors occurred when signing the CSR.").labelNames("error").register(registry);
    success = counter(registry, "citadel_server_success_cert_issuance_count",
        "The number of certificates issuances that have succeeded.");
    registerExpiry(registry, ca);
  }

  private static Counter counter(PrometheusRegistry registry, String name, String help) {
    return Counter.builder().name(name).help(help).register(registry);
  }

  private static void registerExpiry(PrometheusRegistry registry, IstioCa ca) {
    Clock clock = ca.clock();
    GaugeWithCallback.builder().name("citadel_server_root_cert_expiry_timestamp")
        .help("The unix timestamp, in seconds, when Citadel root cert will expire. "
            + "A negative time indicates the cert is expired.")
        .callback(cb -> cb.call(firstRootExpiry(ca.bundle()).getEpochSecond())).register(registry);
    GaugeWithCallback.builder().name("citadel_server_root_cert_expiry_seconds")
        .help("The time remaining, in seconds, before the root cert will expire. "
            + "A negative value indicates the cert is expired.")
        .callback(cb -> cb.call(secondsUntil(clock, firstRootExpiry(ca.bundle())))).register(registry);
    GaugeWithCallback.builder().name("citadel_server_cert_chain_expiry_timestamp")
        .help("The unix timestamp, in seconds, when Citadel cert chain will expire. "
            + "A negative time indicates the cert is expired.")
        .callback(cb -> {
          KeyCertBundle b = ca.bundle();
          if (!b.certChain().isEmpty()) {
            cb.call(expiry(b.certChain().get(0)).getEpochSecond());
          }
        }).register(registry);
    GaugeWithCallback.builder().name("citadel_server_cert_chain_expiry_seconds")
        .help("The time remaining, in seconds, before the cert chain will expire. "
            + "A negative value indicates the cert is expired.")
        .callback(cb -> {
          KeyCertBundle b = ca.bundle();
          if (!b.certChain().isEmpty()) {
            cb.call(secondsUntil(clock, expiry(b.certChain().get(0))));
          }
        }).register(registry);
  }

  /** Upstream reports the first root of the trust bundle. */
  private static Instant firstRootExpiry(KeyCertBundle b) {
    return expiry(b.roots().get(0));
  }

  private static Instant expiry(X509Certificate c) {
    return c.getNotAfter().toInstant();
  }

  private static double secondsUntil(Clock clock, Instant t) {
    return Duration.between(clock.instant(), t).toMillis() / 1000.0;
  }

  void csrReceived() {
    csr.inc();
  }

  void authenticationFailed() {
    authnError.inc();
  }

  void signFailed(CaError error) {
    signError.labelValues(error.name()).inc();
    if (error == CaError.CSR_ERROR) {
      csrParsingError.inc();
    }
  }

  void issued() {
    success.inc();
  }
}
