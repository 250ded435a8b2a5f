package dev.istiod.ca;

import dev.istiod.ca.pki.KeyCertBundle;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads a plugged CA when its files change (a new intermediate, a renewed signing certificate).
 * The directory is polled: Kubernetes updates a mounted Secret by swapping a symlink, which file
 * watches see inconsistently, while comparing contents always works.
 *
 * <p>As upstream (pilot/pkg/bootstrap/istio_ca.go handleEvent), a changed root bundle is accepted
 * only when one bundle contains the other — adding a root before switching to it, or dropping the
 * old one after — because replacing the root outright would break every workload holding the
 * old one. An incomplete or invalid bundle keeps the CA on its current one.
 */
public final class PluggedCaWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PluggedCaWatcher.class);

  /** What one check did. */
  public enum Outcome { UNCHANGED, RELOADED, REJECTED }

  private final IstioCa ca;
  private final PluggedCa files;
  private final Clock clock;
  private String fingerprint;
  private volatile ScheduledFuture<?> task;

  public PluggedCaWatcher(IstioCa ca, PluggedCa files, Clock clock) {
    this.ca = Objects.requireNonNull(ca, "ca");
    this.files = Objects.requireNonNull(files, "files");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.fingerprint = files.fingerprint();
  }

  public void start(ScheduledExecutorService executor, Duration pollInterval) {
    task = executor.scheduleWithFixedDelay(() -> {
      try {
        checkNow();
      } catch (RuntimeException e) {
        log.error("plugged CA reload failed: {}", e.toString());
      }
    }, pollInterval.toMillis(), pollInterval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Compares the files with the last load and reloads when they changed. */
  public synchronized Outcome checkNow() {
    String now = PluggedCa.layout(files.dir()).fingerprint();
    if (now.equals(fingerprint)) {
      return Outcome.UNCHANGED;
    }
    fingerprint = now;
    KeyCertBundle next;
    try {
      Optional<PluggedCa> detected = PluggedCa.detect(files.dir());
      if (detected.isEmpty()) {
        log.error("the plugged CA files in {} are gone; keeping the CA loaded before", files.dir());
        return Outcome.REJECTED;
      }
      next = detected.get().load(clock.instant());
    } catch (IOException | IllegalStateException e) {
      log.error("cannot reload the plugged CA, keeping the current one: {}", e.getMessage());
      return Outcome.REJECTED;
    }
    KeyCertBundle current = ca.bundle();
    if (!current.roots().equals(next.roots()) && !subsetRelation(current, next)) {
      log.warn("the plugged CA in {} changed its root bundle to one unrelated to the current roots; updating to a"
          + " new root is not supported (add the new root beside the old one first)", files.dir());
      return Outcome.REJECTED;
    }
    ca.replaceBundle(next);
    log.info("reloaded the plugged CA from {}: signing certificate valid until {}", files.dir(),
        next.signingCert().getNotAfter().toInstant());
    return Outcome.RELOADED;
  }

  private static boolean subsetRelation(KeyCertBundle a, KeyCertBundle b) {
    var ra = new HashSet<X509Certificate>(a.roots());
    var rb = new HashSet<X509Certificate>(b.roots());
    return ra.containsAll(rb) || rb.containsAll(ra);
  }

  @Override
  public void close() {
    ScheduledFuture<?> t = task;
    if (t != null) {
      t.cancel(false);
    }
  }
}
