package dev.istiod.ca;

import dev.istiod.ca.pki.Certificates;
import dev.istiod.ca.pki.Csr;
import dev.istiod.ca.pki.KeyCertBundle;
import dev.istiod.ca.pki.KeyType;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signer: turns a CSR and a list of identities into a certificate under the current
 * {@link KeyCertBundle}, with upstream's TTL rules (security/pkg/pki/ca/ca.go):
 * a non-positive TTL means {@code DEFAULT_WORKLOAD_CERT_TTL}; a TTL above
 * {@code MAX_WORKLOAD_CERT_TTL} is refused (TTL_ERROR) for workloads but not for istiod's own
 * serving certificate; NotAfter never passes the signing certificate's.
 *
 * <p>The bundle is swapped whole (root rotation, plugged-CA reload); every signing reads one
 * bundle, so a certificate and the chain sent with it always match. Listeners hear about each
 * swap on the thread that made it.
 */
public final class IstioCa {
  private static final Logger log = LoggerFactory.getLogger(IstioCa.class);

  private final AtomicReference<KeyCertBundle> bundle;
  private final Duration defaultCertTtl;
  private final Duration maxCertTtl;
  private final Clock clock;
  private final List<Consumer<KeyCertBundle>> listeners = new CopyOnWriteArrayList<>();

  public IstioCa(KeyCertBundle initial, Duration defaultCertTtl, Duration maxCertTtl, Clock clock) {
    this.bundle = new AtomicReference<>(Objects.requireNonNull(initial, "initial"));
    this.defaultCertTtl = Objects.requireNonNull(defaultCertTtl, "defaultCertTtl");
    this.maxCertTtl = Objects.requireNonNull(maxCertTtl, "maxCertTtl");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public KeyCertBundle bundle() {
    return bundle.get();
  }

  public Clock clock() {
    return clock;
  }

  /** Installs a new bundle and tells every listener. */
  public void replaceBundle(KeyCertBundle next) {
    KeyCertBundle previous = bundle.getAndSet(Objects.requireNonNull(next, "next"));
    if (previous.sameCertificates(next)) {
      return;
    }
    for (Consumer<KeyCertBundle> l : listeners) {
      try {
        l.accept(next);
      } catch (RuntimeException e) {
        log.warn("CA bundle listener failed: {}", e.toString());
      }
    }
  }

  /** Registers a listener for bundle swaps; the returned action unregisters it. */
  public Runnable onBundleChange(Consumer<KeyCertBundle> listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
    return () -> listeners.remove(listener);
  }

  /**
   * Signs a workload CSR for {@code identities}: the leaf, the CA's chain and the roots, all from
   * the same bundle.
   */
  public SignedChain sign(String csrPem, List<String> identities, Duration requestedTtl)
      throws CaException {
    KeyCertBundle b = bundle.get();
    Csr csr;
    try {
      csr = Csr.parse(csrPem);
    } catch (IllegalArgumentException e) {
      throw new CaException(CaError.CSR_ERROR, e.getMessage(), e);
    }
    Duration ttl = requestedTtl.isNegative() || requestedTtl.isZero() ? defaultCertTtl : requestedTtl;
    if (requestedTtl.compareTo(maxCertTtl) > 0) {
      throw new CaException(CaError.TTL_ERROR, "requested TTL " + GoDurations.format(requestedTtl)
          + " is greater than the max allowed TTL " + GoDurations.format(maxCertTtl));
    }
    return new SignedChain(issue(b, csr.publicKey(), identities, csr.hasCommonName(), ttl), b.roots());
  }

  /**
   * A fresh key and certificate for istiod itself (DNS names), of the CA key's type, without the
   * workload TTL ceiling, as upstream's GenKeyCert(..., checkLifetime=false).
   */
  public IssuedCertificate issueWithNewKey(List<String> hostnames, Duration ttl, int rsaKeyBits) throws CaException {
    KeyCertBundle b = bundle.get();
    KeyType type = KeyType.of(b.signingKey());
    KeyPair keys = type.generate(rsaKeyBits);
    List<X509Certificate> chain = issue(b, keys.getPublic(), hostnames, false, ttl);
    return new IssuedCertificate(keys.getPrivate(), chain, b.roots());
  }

  private List<X509Certificate> issue(KeyCertBundle b, PublicKey key, List<String> identities, boolean cn,
      Duration ttl) throws CaException {
    if (identities.isEmpty()) {
      throw new CaException(CaError.CERT_GEN_ERROR, "no subject identity to put in the certificate");
    }
    X509Certificate leaf;
    try {
      leaf = Certificates.leaf(new Certificates.LeafSpec(key, identities, cn, clock.instant(), ttl),
          b.signingCert(), b.signingKey());
    } catch (RuntimeException e) {
      throw new CaException(CaError.CERT_GEN_ERROR, e.getMessage(), e);
    }
    List<X509Certificate> out = new ArrayList<>();
    out.add(leaf);
    out.addAll(b.certChain());
    return out;
  }
}
