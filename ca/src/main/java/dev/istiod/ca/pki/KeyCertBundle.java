package dev.istiod.ca.pki;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What the CA signs with: its signing certificate and key, the chain between the signing
 * certificate and the root (empty for a self-signed root), and the roots workloads trust — the
 * current root and, during a rotation, the previous ones. Immutable; the CA swaps whole bundles.
 *
 * <p>{@link #verified} checks what upstream's KeyCertBundle.Verify checks: the signing certificate
 * chains to one of the roots through the chain, it is valid now, and the key matches it.
 *
 * @param signingCert the certificate that issues workload certificates (a root or an intermediate)
 * @param signingKey its private key
 * @param certChain intermediates from the signing certificate up (upstream's cert-chain.pem),
 *     possibly including the signing certificate and the root, as operators often write it
 * @param roots the trust bundle, in the order it is published (root-cert.pem); for the self-signed
 *     CA the current root is last, after any previous roots still trusted during a rotation, because
 *     pilot-agent trusts only the last element of the CA response
 */
public record KeyCertBundle(X509Certificate signingCert, PrivateKey signingKey, List<X509Certificate> certChain,
    List<X509Certificate> roots) {

  public KeyCertBundle {
    Objects.requireNonNull(signingCert, "signingCert");
    Objects.requireNonNull(signingKey, "signingKey");
    certChain = List.copyOf(certChain);
    roots = List.copyOf(roots);
    if (roots.isEmpty()) {
      throw new IllegalArgumentException("a CA bundle needs at least one root certificate");
    }
  }

  /** A bundle after upstream's checks, at {@code now}. */
  public static KeyCertBundle verified(X509Certificate signingCert, PrivateKey signingKey,
      List<X509Certificate> certChain, List<X509Certificate> roots, Instant now) {
    KeyCertBundle b = new KeyCertBundle(signingCert, signingKey, certChain, roots);
    b.verify(now);
    return b;
  }

  /** A bundle from PEM text; throws {@link IllegalArgumentException} naming what is wrong. */
  public static KeyCertBundle fromPem(String signingCertPem, String signingKeyPem, String certChainPem,
      String rootsPem, Instant now) {
    X509Certificate cert = Pem.parseCertificate(signingCertPem);
    PrivateKey key = Pem.parsePrivateKey(signingKeyPem);
    List<X509Certificate> roots = Pem.parseCertificates(rootsPem);
    if (roots.isEmpty()) {
      throw new IllegalArgumentException("no root certificate found");
    }
    return verified(cert, key, Pem.parseCertificates(certChainPem), roots, now);
  }

  private void verify(Instant now) {
    try {
      if (!isSelfIssuedRoot()) {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        CertPath path = cf.generateCertPath(pathToRoot());
        Set<TrustAnchor> anchors = new HashSet<>();
        for (X509Certificate r : roots) {
          anchors.add(new TrustAnchor(r, null));
        }
        PKIXParameters params = new PKIXParameters(anchors);
        params.setRevocationEnabled(false);
        params.setDate(Date.from(now));
        CertPathValidator.getInstance("PKIX").validate(path, params);
      } else {
        signingCert.checkValidity(Date.from(now));
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "cannot verify the cert with the provided root chain and cert pool with error: " + e.getMessage(), e);
    }
    if (!keyMatches(signingKey, signingCert.getPublicKey())) {
      throw new IllegalArgumentException("the cert does not match the key");
    }
  }

  /** The signing certificate is itself one of the roots (the self-signed CA). */
  private boolean isSelfIssuedRoot() {
    return roots.contains(signingCert);
  }

  /** Signing cert, then chain certificates that are neither the signing cert nor a root. */
  private List<X509Certificate> pathToRoot() {
    List<X509Certificate> path = new ArrayList<>();
    path.add(signingCert);
    for (X509Certificate c : certChain) {
      if (!c.equals(signingCert) && !roots.contains(c) && !isSelfSigned(c)) {
        path.add(c);
      }
    }
    return path;
  }

  private static boolean isSelfSigned(X509Certificate c) {
    if (!c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
      return false;
    }
    try {
      c.verify(c.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** A signature made with the key verifies with the certificate's public key. */
  static boolean keyMatches(PrivateKey key, PublicKey pub) {
    if (!key.getAlgorithm().equals(pub.getAlgorithm())) {
      return false;
    }
    try {
      String alg = KeyType.of(key).signatureAlgorithm();
      byte[] probe = "istiod-key-match".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(pub);
      v.update(probe);
      return v.verify(sig);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  /** Same certificates (the key follows from the signing certificate). */
  public boolean sameCertificates(KeyCertBundle other) {
    return signingCert.equals(other.signingCert) && certChain.equals(other.certChain) && roots.equals(other.roots);
  }

  public String signingCertPem() {
    return Pem.encode(signingCert);
  }

  public String signingKeyPem() {
    return Pem.encodeKey(signingKey);
  }

  /** cert-chain.pem; empty for a self-signed CA. */
  public String certChainPem() {
    return Pem.encode(certChain);
  }

  /** root-cert.pem: every trusted root, oldest first. */
  public String rootsPem() {
    return Pem.encode(roots);
  }

  /** The earliest NotAfter of the roots: when the trust bundle starts to lose a member. */
  public Instant rootsNotAfter() {
    Instant min = Instant.MAX;
    for (X509Certificate r : roots) {
      Instant t = r.getNotAfter().toInstant();
      if (t.isBefore(min)) {
        min = t;
      }
    }
    return min;
  }

  @Override
  public String toString() {
    // Never print the key.
    return "KeyCertBundle[signing=" + signingCert.getSubjectX500Principal() + ", chain=" + certChain.size()
        + ", roots=" + roots.size() + "]";
  }
}
