package dev.istiod.ca;

import dev.istiod.ca.pki.Certificates;
import dev.istiod.ca.pki.KeyCertBundle;
import dev.istiod.ca.pki.Pem;
import dev.istiod.ca.pki.RenewalTime;
import java.io.IOException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rotates the self-signed root per upstream's rule (security/pkg/pki/ca/selfsignedcarootcertrotator.go):
 * every check interval, read the stored root; once less than the grace percentile (20%) of its
 * lifetime remains, issue a new root with the same key and subject, store it, and swap it in.
 *
 * <p>Why nothing breaks: the new root has the old root's key and subject, so certificates signed
 * under either validate against either; and the published trust bundle keeps the old root (until
 * it expires) beside the new one, so workloads that only refreshed their bundle still accept peers
 * issued before the rotation.
 *
 * <p>Replicas: the store update is conditional. A replica that loses the race re-reads and
 * adopts the winner's root; a replica whose memory differs from the store (another replica rotated)
 * reloads on its next check. Nothing is swapped in memory before the store accepted it.
 */
public final class RootCertRotator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RootCertRotator.class);

  /** What one check did. */
  public enum Outcome {
    /** The root is not due and memory matches the store. */
    NOT_DUE,
    /** Memory was behind the store (another replica rotated, or an old root expired); reloaded. */
    RELOADED,
    /** A new root was issued, stored and installed. */
    ROTATED,
    /** The store could not be read or written; nothing changed. */
    FAILED
  }

  private final IstioCa ca;
  private final CaRootStore store;
  private final SelfSignedRoot.RootSpec spec;
  private final int gracePercent;
  private final Clock clock;
  private volatile ScheduledFuture<?> task;

  public RootCertRotator(IstioCa ca, CaRootStore store, SelfSignedRoot.RootSpec spec, int gracePercent, Clock clock) {
    this.ca = Objects.requireNonNull(ca, "ca");
    this.store = Objects.requireNonNull(store, "store");
    this.spec = Objects.requireNonNull(spec, "spec");
    if (gracePercent <= 0 || gracePercent >= 100) {
      throw new IllegalArgumentException("grace percentile must be within (0, 100), got " + gracePercent);
    }
    this.gracePercent = gracePercent;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Checks every {@code interval}, the first time after {@code initialDelay} (upstream's jitter). */
  public void start(ScheduledExecutorService executor, Duration initialDelay, Duration interval) {
    task = executor.scheduleWithFixedDelay(this::checkQuietly, initialDelay.toMillis(), interval.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  private void checkQuietly() {
    try {
      checkAndRotate();
    } catch (RuntimeException e) {
      log.error("root certificate check failed: {}", e.toString());
    }
  }

  /** One check; safe to call from tests with a controlled clock. */
  public synchronized Outcome checkAndRotate() {
    Instant now = clock.instant();
    Optional<CaRootStore.Stored> loaded;
    try {
      loaded = store.load();
    } catch (IOException e) {
      log.error("cannot load the CA root from {}, skipping root rotation: {}", store.describe(), e.getMessage());
      return Outcome.FAILED;
    }
    if (loaded.isEmpty()) {
      log.error("the CA root in {} is gone, skipping root rotation", store.describe());
      return Outcome.FAILED;
    }
    CaRootStore.Stored stored = loaded.get();
    X509Certificate storedRoot;
    try {
      storedRoot = Pem.parseCertificate(stored.caCertPem());
    } catch (IllegalArgumentException e) {
      log.error("the CA root in {} does not parse, skipping root rotation: {}", store.describe(), e.getMessage());
      return Outcome.FAILED;
    }
    if (RenewalTime.untilDue(storedRoot, now, gracePercent).isPositive()) {
      return reloadIfBehind(stored, now);
    }
    log.info("the self-signed root expires at {}, within the last {}% of its lifetime: rotating",
        storedRoot.getNotAfter().toInstant(), gracePercent);
    return rotate(stored, storedRoot, now);
  }

  private Outcome reloadIfBehind(CaRootStore.Stored stored, Instant now) {
    KeyCertBundle fromStore;
    try {
      fromStore = SelfSignedRoot.bundle(stored, now);
    } catch (IllegalArgumentException e) {
      log.error("the CA root in {} is not usable: {}", store.describe(), e.getMessage());
      return Outcome.FAILED;
    }
    KeyCertBundle current = ca.bundle();
    if (fromStore.signingCert().equals(current.signingCert()) && fromStore.roots().equals(current.roots())) {
      return Outcome.NOT_DUE;
    }
    log.warn("the CA root in memory differs from {}; reloading it", store.describe());
    ca.replaceBundle(fromStore);
    return Outcome.RELOADED;
  }

  private Outcome rotate(CaRootStore.Stored stored, X509Certificate oldRoot, Instant now) {
    KeyCertBundle next;
    CaRootStore.Stored nextStored;
    try {
      PrivateKey key = Pem.parsePrivateKey(stored.caKeyPem());
      X509Certificate newRoot = Certificates.reissueRoot(oldRoot, new KeyPair(oldRoot.getPublicKey(), key), spec.org(),
          now, spec.ttl());
      List<X509Certificate> roots = new ArrayList<>(SelfSignedRoot.previousRoots(stored.rootCertPem(), newRoot, now));
      if (oldRoot.getNotAfter().toInstant().isAfter(now) && !roots.contains(oldRoot)) {
        roots.add(oldRoot);
      }
      roots.add(newRoot);
      // Verify before anything is written, so a bad root never reaches the store or memory.
      next = KeyCertBundle.verified(newRoot, key, List.of(), roots, now);
      // The key text is kept byte for byte: the key does not change.
      nextStored = new CaRootStore.Stored(Pem.encode(newRoot), stored.caKeyPem(), next.rootsPem(), "");
    } catch (RuntimeException e) {
      log.error("cannot issue a new self-signed root: {}", e.getMessage());
      return Outcome.FAILED;
    }
    try {
      if (!store.update(stored, nextStored)) {
        log.info("another istiod changed {} first; adopting its root", store.describe());
        Optional<CaRootStore.Stored> theirs = store.load();
        return theirs.isPresent() ? reloadIfBehind(theirs.get(), now) : Outcome.FAILED;
      }
    } catch (IOException e) {
      log.error("cannot store the new root in {}, keeping the old one: {}", store.describe(), e.getMessage());
      return Outcome.FAILED;
    }
    ca.replaceBundle(next);
    log.info("rotated the self-signed root: {}", SelfSignedRoot.describe(next.signingCert()));
    return Outcome.ROTATED;
  }

  @Override
  public void close() {
    ScheduledFuture<?> t = task;
    if (t != null) {
      t.cancel(false);
    }
  }
}
