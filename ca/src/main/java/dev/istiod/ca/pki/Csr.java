package dev.istiod.ca.pki;

import java.security.PublicKey;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;

/**
 * A parsed certificate signing request whose self-signature was checked. Only its public key and
 * whether it carried a CN matter: the identities in the certificate come from the authenticated
 * caller, never from the CSR.
 *
 * @param publicKey the key the certificate will certify (RSA or EC)
 * @param hasCommonName the CSR subject had a CN, so the certificate gets one too (upstream's
 *     "dual use")
 */
public record Csr(PublicKey publicKey, boolean hasCommonName) {

  /** Parses and verifies a PEM CSR; the message of a failure is safe to return to the caller. */
  public static Csr parse(String pem) {
    PKCS10CertificationRequest req = Pem.parseCsr(pem);
    PublicKey key;
    try {
      key = new JcaPKCS10CertificationRequest(req).getPublicKey();
      KeyType.of(key);
    } catch (Exception e) {
      throw new IllegalArgumentException("unsupported public key in the certificate signing request", e);
    }
    boolean valid;
    try {
      ContentVerifierProvider verifier = new JcaContentVerifierProviderBuilder().build(key);
      valid = req.isSignatureValid(verifier);
    } catch (Exception e) {
      throw new IllegalArgumentException("cannot verify the signature of the certificate signing request", e);
    }
    if (!valid) {
      throw new IllegalArgumentException("the certificate signing request signature is invalid");
    }
    boolean cn = req.getSubject() != null && req.getSubject().getRDNs(BCStyle.CN).length > 0;
    return new Csr(key, cn);
  }
}
