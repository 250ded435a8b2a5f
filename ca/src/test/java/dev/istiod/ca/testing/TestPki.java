package dev.istiod.ca.testing;

import dev.istiod.ca.pki.Certificates;
import dev.istiod.ca.pki.KeyType;
import dev.istiod.ca.pki.Pem;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** Keys, CSRs and CA hierarchies for tests, made the way pilot-agent and operators make them. */
public final class TestPki {
  private TestPki() {}

  /** A CSR as pilot-agent sends it: subject and SAN ask for {@code requestedSan}. */
  public static String csr(KeyPair keys, String requestedSan) {
    return csr(keys, requestedSan, false);
  }

  public static String csr(KeyPair keys, String requestedSan, boolean withCommonName) {
    try {
      X500Name subject = withCommonName ? new X500Name("CN=" + requestedSan.replace(",", "")) : new X500Name("O=test");
      JcaPKCS10CertificationRequestBuilder b = new JcaPKCS10CertificationRequestBuilder(subject, keys.getPublic());
      ExtensionsGenerator ext = new ExtensionsGenerator();
      ext.addExtension(Extension.subjectAlternativeName, true,
          new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, requestedSan)));
      b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
      PKCS10CertificationRequest csr = b.build(
          new JcaContentSignerBuilder(KeyType.of(keys.getPrivate()).signatureAlgorithm()).build(keys.getPrivate()));
      return Pem.encodeCsr(csr);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static KeyPair rsa() {
    return KeyType.RSA.generate(2048);
  }

  public static KeyPair ec() {
    return KeyType.EC_P256.generate(0);
  }

  /** A root, intermediate (signing) CA pair as an operator would plug in. */
  public record Hierarchy(KeyPair rootKeys, X509Certificate root, KeyPair intermediateKeys,
      X509Certificate intermediate) {}

  public static Hierarchy hierarchy(Instant now, Duration intermediateTtl) {
    KeyPair rootKeys = ec();
    X509Certificate root = Certificates.selfSignedRoot(rootKeys, "Operator Root", now.minusSeconds(60),
        Duration.ofDays(3650));
    KeyPair interKeys = ec();
    X509Certificate inter = intermediate(rootKeys, root, interKeys, now, intermediateTtl, true);
    return new Hierarchy(rootKeys, root, interKeys, inter);
  }

  /** A certificate for {@code keys} signed by the root; {@code ca} sets CA:true. */
  public static X509Certificate intermediate(KeyPair rootKeys, X509Certificate root, KeyPair keys, Instant now,
      Duration ttl, boolean ca) {
    try {
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new JcaX509CertificateHolder(root).getSubject(),
          BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minusSeconds(60)), Date.from(now.plus(ttl)),
          new X500Name("O=cluster.local,CN=Intermediate CA"), keys.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign
          : KeyUsage.digitalSignature));
      return new JcaX509CertificateConverter().getCertificate(b.build(
          new JcaContentSignerBuilder(KeyType.of(rootKeys.getPrivate()).signatureAlgorithm())
              .build(rootKeys.getPrivate())));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
