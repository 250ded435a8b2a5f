package dev.istiod.ca;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * A signed workload certificate with everything sent back with it, all from one CA bundle: the
 * leaf, the CA's chain, and the trust bundle.
 */
public record SignedChain(List<X509Certificate> chain, List<X509Certificate> roots) {
  public SignedChain {
    chain = List.copyOf(chain);
    roots = List.copyOf(roots);
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("a signed chain starts with its leaf");
    }
  }

  public X509Certificate leaf() {
    return chain.get(0);
  }

  /** Leaf, chain, then roots: the order of the CA response's cert_chain (root last). */
  public List<X509Certificate> responseOrder() {
    List<X509Certificate> out = new ArrayList<>(chain);
    out.addAll(roots);
    return out;
  }
}
