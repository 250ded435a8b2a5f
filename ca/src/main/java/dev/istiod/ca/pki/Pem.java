package dev.istiod.ca.pki;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * PEM in and out: certificates, private keys (PKCS#1, SEC1 and PKCS#8 read; written the way
 * upstream writes CA keys, "RSA PRIVATE KEY" / "EC PRIVATE KEY") and CSRs. Malformed input is an
 * {@link IllegalArgumentException} whose message never contains the input (it may be a key).
 */
public final class Pem {
  private Pem() {}

  /** Every certificate in the text, in order; empty text gives an empty list. */
  public static List<X509Certificate> parseCertificates(String pem) {
    List<X509Certificate> out = new ArrayList<>();
    if (pem == null || pem.isBlank()) {
      return out;
    }
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      Object o;
      while ((o = parser.readObject()) != null) {
        if (o instanceof org.bouncycastle.cert.X509CertificateHolder h) {
          out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(h.getEncoded())));
        }
      }
    } catch (IOException | CertificateException | RuntimeException e) {
      throw new IllegalArgumentException("invalid PEM certificate: " + e.getMessage(), e);
    }
    return out;
  }

  /** The first certificate; fails when there is none. */
  public static X509Certificate parseCertificate(String pem) {
    List<X509Certificate> certs = parseCertificates(pem);
    if (certs.isEmpty()) {
      throw new IllegalArgumentException("no PEM certificate found");
    }
    return certs.get(0);
  }

  /** The first private key in the text (PKCS#1 RSA, SEC1 EC or PKCS#8). */
  public static PrivateKey parsePrivateKey(String pem) {
    if (pem == null || pem.isBlank()) {
      throw new IllegalArgumentException("no PEM private key found");
    }
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      Object o;
      while ((o = parser.readObject()) != null) {
        if (o instanceof PEMKeyPair kp) {
          return converter.getPrivateKey(kp.getPrivateKeyInfo());
        }
        if (o instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
      }
    } catch (IOException | RuntimeException e) {
      // The message of a parser error could quote key bytes: keep only the type.
      throw new IllegalArgumentException("invalid PEM private key (" + e.getClass().getSimpleName() + ")", e);
    }
    throw new IllegalArgumentException("no PEM private key found");
  }

  /** The first certificate signing request in the text. */
  public static PKCS10CertificationRequest parseCsr(String pem) {
    if (pem == null || pem.isBlank()) {
      throw new IllegalArgumentException("certificate signing request is not properly encoded");
    }
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object o;
      while ((o = parser.readObject()) != null) {
        if (o instanceof PKCS10CertificationRequest csr) {
          return csr;
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("certificate signing request is not properly encoded", e);
    }
    throw new IllegalArgumentException("certificate signing request is not properly encoded");
  }

  public static String encode(X509Certificate cert) {
    return write(cert);
  }

  /** Concatenated PEM blocks, each ending in a newline. */
  public static String encode(List<X509Certificate> certs) {
    StringBuilder b = new StringBuilder();
    for (X509Certificate c : certs) {
      b.append(write(c));
    }
    return b.toString();
  }

  /**
   * "RSA PRIVATE KEY" (PKCS#1) or "EC PRIVATE KEY" (SEC1 with the named curve, as Go's
   * MarshalECPrivateKey writes it: the JDK's own encoding leaves the curve out of the inner
   * structure, which neither Go nor a PKCS#8 reader could then parse).
   */
  public static String encodeKey(PrivateKey key) {
    if (key instanceof ECPrivateKey ec) {
      PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
      ASN1Encodable curve = info.getPrivateKeyAlgorithm().getParameters();
      org.bouncycastle.asn1.sec.ECPrivateKey sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(
          ec.getParams().getOrder().bitLength(), ec.getS(), curve);
      try {
        return write(new PemObject("EC PRIVATE KEY", sec1.getEncoded()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return write(key);
  }

  public static String encodeCsr(PKCS10CertificationRequest csr) {
    return write(csr);
  }

  public static byte[] bytes(String pem) {
    return pem.getBytes(StandardCharsets.US_ASCII);
  }

  private static String write(Object o) {
    StringWriter sw = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
      w.writeObject(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String s = sw.toString();
    return s.endsWith("\n") ? s : s + "\n";
  }
}
