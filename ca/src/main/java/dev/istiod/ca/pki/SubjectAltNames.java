package dev.istiod.ca.pki;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;
import org.bouncycastle.util.IPAddress;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;

/**
 * Subject alternative names as upstream builds them from a list of identities: an IP literal
 * becomes an iPAddress, anything with a URI scheme ({@code spiffe://...}) a URI, and the rest a
 * DNS name. Upstream marks the extension critical because issued certificates have an empty
 * subject.
 */
public final class SubjectAltNames {
  private static final Pattern URI = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://.*");

  private SubjectAltNames() {}

  public static GeneralNames of(List<String> identities) {
    if (identities.isEmpty()) {
      throw new IllegalArgumentException("at least one subject identity is required");
    }
    GeneralName[] names = new GeneralName[identities.size()];
    for (int i = 0; i < names.length; i++) {
      names[i] = name(identities.get(i));
    }
    return new GeneralNames(names);
  }

  private static GeneralName name(String id) {
    if (id == null || id.isEmpty()) {
      throw new IllegalArgumentException("empty subject identity");
    }
    if (isIpLiteral(id)) {
      return new GeneralName(GeneralName.iPAddress, id);
    }
    if (URI.matcher(id).matches()) {
      return new GeneralName(GeneralName.uniformResourceIdentifier, id);
    }
    return new GeneralName(GeneralName.dNSName, id);
  }

  private static boolean isIpLiteral(String s) {
    return IPAddress.isValidIPv4(s) || IPAddress.isValidIPv6(s);
  }

  /** The URI SANs of a certificate (SPIFFE ids among them). */
  public static List<String> uris(X509Certificate cert) {
    return ofType(cert, GeneralName.uniformResourceIdentifier);
  }

  /** The DNS SANs of a certificate. */
  public static List<String> dnsNames(X509Certificate cert) {
    return ofType(cert, GeneralName.dNSName);
  }

  /** Every SAN as a string (URIs, DNS names, IPs), the identities a client certificate carries. */
  public static List<String> all(X509Certificate cert) {
    List<String> out = new ArrayList<>();
    for (List<?> entry : entries(cert)) {
      int type = (Integer) entry.get(0);
      if (type == GeneralName.uniformResourceIdentifier || type == GeneralName.dNSName
          || type == GeneralName.iPAddress) {
        out.add(String.valueOf(entry.get(1)));
      }
    }
    return out;
  }

  private static List<String> ofType(X509Certificate cert, int type) {
    List<String> out = new ArrayList<>();
    for (List<?> entry : entries(cert)) {
      if ((Integer) entry.get(0) == type) {
        out.add(String.valueOf(entry.get(1)));
      }
    }
    return out;
  }

  private static Collection<List<?>> entries(X509Certificate cert) {
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      return sans == null ? List.of() : sans;
    } catch (CertificateParsingException e) {
      throw new IllegalArgumentException("invalid subject alternative names: " + e.getMessage(), e);
    }
  }
}
