package dev.istiod.ca;

import dev.istiod.ca.pki.Pem;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * A key and the certificate chain the CA issued for it (leaf first, then the CA's chain), plus the
 * roots that were current when it was issued.
 */
public record IssuedCertificate(PrivateKey key, List<X509Certificate> chain, List<X509Certificate> roots) {
  public IssuedCertificate {
    Objects.requireNonNull(key, "key");
    chain = List.copyOf(chain);
    roots = List.copyOf(roots);
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("an issued certificate chain cannot be empty");
    }
  }

  public X509Certificate leaf() {
    return chain.get(0);
  }

  public String chainPem() {
    return Pem.encode(chain);
  }

  @Override
  public String toString() {
    return "IssuedCertificate[leaf=" + leaf().getSerialNumber().toString(16) + ", notAfter=" + leaf().getNotAfter() + "]";
  }
}
