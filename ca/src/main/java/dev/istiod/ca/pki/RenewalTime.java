package dev.istiod.ca.pki;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;

/**
 * Upstream's grace-period rule (security/pkg/util/certutil.go): a certificate is due for renewal
 * once less than {@code gracePercent}% of its whole lifetime (NotBefore to NotAfter) remains.
 */
public final class RenewalTime {
  private RenewalTime() {}

  /** How long until the certificate is due; zero or negative means renew now. */
  public static Duration untilDue(X509Certificate cert, Instant now, int gracePercent) {
    Instant notBefore = cert.getNotBefore().toInstant();
    Instant notAfter = cert.getNotAfter().toInstant();
    Duration lifetime = Duration.between(notBefore, notAfter);
    Duration grace = Duration.ofMillis((long) (lifetime.toMillis() * (gracePercent / 100.0)));
    return Duration.between(now, notAfter.minus(grace));
  }
}
