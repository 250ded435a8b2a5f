package dev.istiod.ca.tls;

import dev.istiod.ca.CaException;
import dev.istiod.ca.IssuedCertificate;
import dev.istiod.ca.IstioCa;
import dev.istiod.ca.pki.KeyCertBundle;
import dev.istiod.ca.pki.RenewalTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * istiod's own certificate for 15012 (and the webhook port), issued by its CA
 * ({@code PILOT_CERT_PROVIDER=istiod}): DNS names from {@link IstiodDnsNames}, a fresh key of the
 * CA key's type, TTL {@code CITADEL_SELF_SIGNED_CA_CERT_TTL} clamped to the signing certificate.
 *
 * <p>It is re-issued when the CA bundle changes (root rotation, plugged CA reload: upstream polls
 * for that every 60 s, here the CA tells us) and when half its lifetime has passed (which matters
 * when a plugged intermediate expires before the TTL). Readers ({@link ReloadingKeyManager}) take
 * {@link #get()} at every handshake, so new connections get the new certificate without a restart.
 */
public final class ServingCertificate implements Supplier<IssuedCertificate>, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ServingCertificate.class);
  private static final int RENEW_AT_PERCENT_LEFT = 50;
  private static final Duration RETRY = Duration.ofSeconds(30);

  private final IstioCa ca;
  private final List<String> dnsNames;
  private final Duration ttl;
  private final int rsaKeyBits;
  private final ScheduledExecutorService executor;
  private final AtomicReference<IssuedCertificate> current = new AtomicReference<>();
  private final Runnable unsubscribe;
  private ScheduledFuture<?> renewal;

  /**
   * Issues the first certificate now (failing start-up if the CA cannot) and keeps it fresh.
   *
   * @param dnsNames see {@link IstiodDnsNames#compute}
   * @param ttl {@code CITADEL_SELF_SIGNED_CA_CERT_TTL}
   * @param rsaKeyBits key size when the CA key is RSA (upstream: 2048)
   * @param executor runs renewals
   */
  public ServingCertificate(IstioCa ca, List<String> dnsNames, Duration ttl, int rsaKeyBits,
      ScheduledExecutorService executor) throws CaException {
    this.ca = Objects.requireNonNull(ca, "ca");
    this.dnsNames = List.copyOf(dnsNames);
    this.ttl = Objects.requireNonNull(ttl, "ttl");
    this.rsaKeyBits = rsaKeyBits;
    this.executor = Objects.requireNonNull(executor, "executor");
    install(ca.issueWithNewKey(this.dnsNames, ttl, rsaKeyBits), "issued");
    this.unsubscribe = ca.onBundleChange(this::onBundleChange);
  }

  @Override
  public IssuedCertificate get() {
    return current.get();
  }

  public List<String> dnsNames() {
    return dnsNames;
  }

  private void onBundleChange(KeyCertBundle bundle) {
    executor.execute(() -> reissue("the CA bundle changed"));
  }

  private synchronized void reissue(String why) {
    try {
      install(ca.issueWithNewKey(dnsNames, ttl, rsaKeyBits), "re-issued (" + why + ")");
    } catch (CaException | RuntimeException e) {
      log.error("cannot re-issue istiod's serving certificate ({}), retrying in {}: {}", why, RETRY, e.getMessage());
      schedule(RETRY);
    }
  }

  private synchronized void install(IssuedCertificate cert, String what) {
    current.set(cert);
    log.info("istiod serving certificate {} for {}: serial {}, valid until {}", what, dnsNames,
        cert.leaf().getSerialNumber().toString(16), cert.leaf().getNotAfter().toInstant());
    Duration due = RenewalTime.untilDue(cert.leaf(), ca.clock().instant(), RENEW_AT_PERCENT_LEFT);
    // Never sooner than the retry delay: a signing certificate about to expire must not cause a loop.
    schedule(due.compareTo(RETRY) < 0 ? RETRY : due);
  }

  private synchronized void schedule(Duration delay) {
    if (renewal != null) {
      renewal.cancel(false);
    }
    renewal = executor.schedule(() -> reissue("half of its lifetime passed"), Math.max(delay.toMillis(), 0),
        TimeUnit.MILLISECONDS);
  }

  /** When the current certificate expires. */
  public Instant notAfter() {
    return current.get().leaf().getNotAfter().toInstant();
  }

  @Override
  public synchronized void close() {
    unsubscribe.run();
    if (renewal != null) {
      renewal.cancel(false);
    }
  }
}
