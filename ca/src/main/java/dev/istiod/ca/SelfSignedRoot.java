package dev.istiod.ca;

import dev.istiod.ca.pki.Certificates;
import dev.istiod.ca.pki.KeyCertBundle;
import dev.istiod.ca.pki.KeyType;
import dev.istiod.ca.pki.Pem;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the self-signed root from its store, or creates it once (upstream's
 * NewSelfSignedIstioCAOptions): read; when absent, generate and create-if-absent; when another
 * istiod created it first, read theirs. Store errors (an API server not reachable yet) are retried
 * until {@code retryFor} runs out, as upstream retries for 20 minutes.
 */
public final class SelfSignedRoot {
  private static final Logger log = LoggerFactory.getLogger(SelfSignedRoot.class);

  /**
   * How a new root is made.
   *
   * @param org the root's O=, the trust domain
   * @param ttl {@code CITADEL_SELF_SIGNED_CA_CERT_TTL}
   * @param keyType RSA (upstream's choice) or EC
   * @param rsaKeyBits {@code CITADEL_SELF_SIGNED_CA_RSA_KEY_SIZE}
   */
  public record RootSpec(String org, Duration ttl, KeyType keyType, int rsaKeyBits) {
    public RootSpec {
      Objects.requireNonNull(org, "org");
      Objects.requireNonNull(ttl, "ttl");
      Objects.requireNonNull(keyType, "keyType");
      if (ttl.isNegative() || ttl.isZero()) {
        throw new IllegalArgumentException("the self-signed root TTL must be positive");
      }
    }
  }

  private SelfSignedRoot() {}

  public static KeyCertBundle loadOrCreate(CaRootStore store, RootSpec spec, Clock clock, Duration retryFor,
      Duration retryInterval) throws IOException, InterruptedException {
    Instant deadline = clock.instant().plus(retryFor);
    while (true) {
      try {
        return loadOrCreateOnce(store, spec, clock);
      } catch (IOException e) {
        if (!clock.instant().isBefore(deadline)) {
          throw new IOException("cannot load or create the self-signed root in " + store.describe() + ": "
              + e.getMessage(), e);
        }
        log.warn("self-signed root in {} not available yet, retrying in {}: {}", store.describe(), retryInterval,
            e.getMessage());
        Thread.sleep(retryInterval.toMillis());
      }
    }
  }

  private static KeyCertBundle loadOrCreateOnce(CaRootStore store, RootSpec spec, Clock clock) throws IOException {
    Optional<CaRootStore.Stored> existing = store.load();
    if (existing.isPresent()) {
      KeyCertBundle b = bundle(existing.get(), clock.instant());
      log.info("loaded the self-signed root from {}: {}", store.describe(), describe(b.signingCert()));
      return b;
    }
    KeyPair keys = spec.keyType().generate(spec.rsaKeyBits());
    X509Certificate root = Certificates.selfSignedRoot(keys, spec.org(), clock.instant(), spec.ttl());
    String rootPem = Pem.encode(root);
    CaRootStore.Stored created = new CaRootStore.Stored(rootPem, Pem.encodeKey(keys.getPrivate()), rootPem, "");
    if (store.createIfAbsent(created)) {
      log.info("created the self-signed root in {}: {}", store.describe(), describe(root));
      return KeyCertBundle.verified(root, keys.getPrivate(), List.of(), List.of(root), clock.instant());
    }
    log.info("another istiod created the self-signed root in {} first; using it", store.describe());
    Optional<CaRootStore.Stored> theirs = store.load();
    if (theirs.isEmpty()) {
      throw new IOException(store.describe() + " exists but could not be read back");
    }
    return bundle(theirs.get(), clock.instant());
  }

  /**
   * The bundle for stored material: ca-cert.pem signs and is the current root; the other roots of
   * root-cert.pem that are still valid stay trusted, before it.
   */
  public static KeyCertBundle bundle(CaRootStore.Stored stored, Instant now) {
    X509Certificate current = Pem.parseCertificate(stored.caCertPem());
    PrivateKey key = Pem.parsePrivateKey(stored.caKeyPem());
    List<X509Certificate> roots = new ArrayList<>(previousRoots(stored.rootCertPem(), current, now));
    roots.add(current);
    return KeyCertBundle.verified(current, key, List.of(), roots, now);
  }

  /** Roots of a trust bundle other than {@code current} that have not expired at {@code now}. */
  static List<X509Certificate> previousRoots(String rootsPem, X509Certificate current, Instant now) {
    List<X509Certificate> out = new ArrayList<>();
    for (X509Certificate r : Pem.parseCertificates(rootsPem)) {
      if (!r.equals(current) && r.getNotAfter().toInstant().isAfter(now) && !out.contains(r)) {
        out.add(r);
      }
    }
    return out;
  }

  static String describe(X509Certificate c) {
    return "subject \"" + c.getSubjectX500Principal() + "\", serial " + c.getSerialNumber().toString(16)
        + ", valid until " + c.getNotAfter().toInstant();
  }
}
