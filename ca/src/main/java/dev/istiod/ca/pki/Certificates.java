package dev.istiod.ca.pki;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Builds the two kinds of certificate the CA makes, with upstream's shapes
 * (security/pkg/pki/util/generate_cert.go):
 * <ul>
 *   <li>a self-signed root: Subject O=&lt;trust domain&gt;, CA:true, keyCertSign (plus cRLSign and
 *       digitalSignature), NotBefore now, a subject key id that depends only on the key, so a root
 *       re-issued with the same key and subject validates everything the old one signed;
 *   <li>a leaf: empty subject (CN = first identity only when the CSR carried a CN), a critical SAN
 *       extension, digitalSignature|keyEncipherment, serverAuth+clientAuth, CA:false, NotBefore
 *       now − 2 min, NotAfter clamped to the issuer's NotAfter.
 * </ul>
 */
public final class Certificates {
  /** Upstream's allowance for clocks that run behind the CA's. */
  public static final Duration CLOCK_SKEW_GRACE = Duration.ofMinutes(2);

  private static final SecureRandom RANDOM = new SecureRandom();

  private Certificates() {}

  /** What a leaf certificate says about its subject. */
  public record LeafSpec(PublicKey publicKey, List<String> identities, boolean withCommonName, Instant now,
      Duration ttl) {
    public LeafSpec {
      Objects.requireNonNull(publicKey, "publicKey");
      identities = List.copyOf(identities);
      Objects.requireNonNull(now, "now");
      Objects.requireNonNull(ttl, "ttl");
    }
  }

  /** A self-signed CA certificate for {@code keys}, valid from {@code now} for {@code ttl}. */
  public static X509Certificate selfSignedRoot(KeyPair keys, String org, Instant now, Duration ttl) {
    X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, org).build();
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now),
          Date.from(now.plus(ttl)), name, keys.getPublic())
          .addExtension(Extension.keyUsage, true,
              new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature))
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
          .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(keys.getPublic()));
      return sign(b, keys.getPrivate());
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot build the self-signed root certificate", e);
    }
  }

  /**
   * A leaf for {@code spec}, signed by {@code issuer}. Fails when the issuer has expired; a TTL
   * that runs past the issuer's NotAfter is cut to it.
   */
  public static X509Certificate leaf(LeafSpec spec, X509Certificate issuer, PrivateKey issuerKey) {
    Instant issuerNotAfter = issuer.getNotAfter().toInstant();
    if (!spec.now().isBefore(issuerNotAfter)) {
      throw new IllegalStateException("signing certificate has expired at " + issuerNotAfter);
    }
    Instant notAfter = spec.now().plus(spec.ttl());
    if (!notAfter.isBefore(issuerNotAfter)) {
      notAfter = issuerNotAfter;
    }
    X500Name subject = new X500Name(new RDN[0]);
    if (spec.withCommonName() && !spec.identities().isEmpty() && spec.identities().get(0).length() <= 64) {
      subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, spec.identities().get(0)).build();
    }
    try {
      X500Name issuerName = new JcaX509CertificateHolder(issuer).getSubject();
      X509v3CertificateBuilder b = new X509v3CertificateBuilder(issuerName, serial(),
          Date.from(spec.now().minus(CLOCK_SKEW_GRACE)), Date.from(notAfter), subject,
          org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(spec.publicKey().getEncoded()))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
          .addExtension(Extension.extendedKeyUsage, false,
              new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.subjectAlternativeName, true, SubjectAltNames.of(spec.identities()));
      byte[] ski = subjectKeyId(issuer);
      if (ski != null) {
        b.addExtension(Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(ski));
      }
      return sign(b, issuerKey);
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot build the certificate: " + e.getMessage(), e);
    }
  }

  /** A copy of a self-signed root with a fresh validity period, same key, same subject. */
  public static X509Certificate reissueRoot(X509Certificate oldRoot, KeyPair keys, String fallbackOrg, Instant now,
      Duration ttl) {
    String org = organization(oldRoot);
    return selfSignedRoot(keys, org.isEmpty() ? fallbackOrg : org, now, ttl);
  }

  /** The first O= of a certificate's subject, or "". */
  public static String organization(X509Certificate cert) {
    try {
      RDN[] rdns = new JcaX509CertificateHolder(cert).getSubject().getRDNs(BCStyle.O);
      return rdns.length == 0 ? "" : rdns[0].getFirst().getValue().toString();
    } catch (GeneralSecurityException e) {
      return "";
    }
  }

  private static byte[] subjectKeyId(X509Certificate cert) {
    byte[] ext = cert.getExtensionValue(Extension.subjectKeyIdentifier.getId());
    if (ext == null) {
      return null;
    }
    byte[] inner = ASN1OctetString.getInstance(ext).getOctets();
    return ASN1OctetString.getInstance(inner).getOctets();
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws GeneralSecurityException {
    try {
      var signer = new JcaContentSignerBuilder(KeyType.of(key).signatureAlgorithm()).build(key);
      return new JcaX509CertificateConverter().getCertificate(b.build(signer));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException("cannot sign: " + e.getMessage(), e);
    }
  }

  /** A random positive serial below 2^128, as upstream. */
  private static BigInteger serial() {
    BigInteger s;
    do {
      s = new BigInteger(128, RANDOM);
    } while (s.signum() == 0);
    return s;
  }
}
