package dev.istiod.configstore.validation;

import dev.istiod.api.networking.v1alpha3.ServerTLSSettings;
import dev.istiod.api.networking.v1alpha3.ServerTLSSettings.TLSmode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Server-side TLS settings of Gateway servers and Sidecar ingress listeners. */
final class ServerTlsChecks {
  /** Cipher suites BoringSSL knows by OpenSSL name (without PSK), as Envoy accepts them. */
  private static final Set<String> CIPHERS = Set.of(
      "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
      "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
      "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
      "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA",
      "ECDHE-RSA-AES256-SHA", "AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-SHA",
      "AES256-SHA", "DES-CBC3-SHA");

  private ServerTlsChecks() {}

  static void tls(Issues issues, ServerTLSSettings tls) {
    if ((tls.getMinProtocolVersion() == ServerTLSSettings.TLSProtocol.TLSV1_0
        || tls.getMinProtocolVersion() == ServerTLSSettings.TLSProtocol.TLSV1_1)
        && tls.getCipherSuitesCount() == 0) {
      issues.warn("TLS version below TLSV1_2 require setting compatible ciphers as by default they "
          + "no longer include compatible ciphers.");
    }
    ciphers(issues, tls.getCipherSuitesList());
    TLSmode mode = tls.getMode();
    if (mode == TLSmode.ISTIO_MUTUAL) {
      // Istio's own certificates are used; any other source would be ignored.
      if (!tls.getServerCertificate().isEmpty()) {
        issues.error("ISTIO_MUTUAL TLS cannot have associated server certificate");
      }
      if (!tls.getPrivateKey().isEmpty()) {
        issues.error("ISTIO_MUTUAL TLS cannot have associated private key");
      }
      if (!tls.getCaCertificates().isEmpty()) {
        issues.error("ISTIO_MUTUAL TLS cannot have associated CA bundle");
      }
      if (tls.getTlsCertificatesCount() > 0) {
        issues.error("ISTIO_MUTUAL TLS cannot have associated tlsCertificates");
      }
      if (!tls.getCredentialName().isEmpty()) {
        issues.error("ISTIO_MUTUAL TLS cannot have associated credentialName");
      }
      if (tls.getCredentialNamesCount() > 0) {
        issues.error("ISTIO_MUTUAL TLS cannot have associated credentialNames");
      }
      return;
    }
    if ((mode == TLSmode.PASSTHROUGH || mode == TLSmode.AUTO_PASSTHROUGH) && hasAnyCertificate(tls)) {
      issues.warnf("%s mode does not use certificates, they will be ignored", mode);
    }
    int sources = 0;
    sources += !tls.getServerCertificate().isEmpty() && !tls.getPrivateKey().isEmpty() ? 1 : 0;
    sources += !tls.getCredentialName().isEmpty() ? 1 : 0;
    sources += tls.getCredentialNamesCount() > 0 ? 1 : 0;
    sources += tls.getTlsCertificatesCount() > 0 ? 1 : 0;
    if (sources > 1) {
      issues.error("only one of credential_name, credential_names, server_certificate/private_key, "
          + "tls_certificates should be specified");
    }
    boolean terminating = mode == TLSmode.SIMPLE || mode == TLSmode.MUTUAL || mode == TLSmode.OPTIONAL_MUTUAL;
    if (terminating && (!tls.getCredentialName().isEmpty() || tls.getCredentialNamesCount() > 0)) {
      return; // certificates are fetched from the named secret
    }
    if (terminating) {
      String prefix = mode == TLSmode.SIMPLE ? "SIMPLE TLS" : "MUTUAL TLS";
      if (mode != TLSmode.SIMPLE && tls.getCaCertificates().isEmpty()) {
        issues.error(prefix + " requires a client CA bundle");
      }
      if (tls.getTlsCertificatesCount() > 2) {
        issues.warn(prefix + " can support up to 2 server certificates");
      }
      List<String[]> certs = new ArrayList<>();
      if (tls.getTlsCertificatesCount() > 0) {
        tls.getTlsCertificatesList().forEach(c -> certs.add(new String[] {c.getServerCertificate(), c.getPrivateKey()}));
      } else {
        certs.add(new String[] {tls.getServerCertificate(), tls.getPrivateKey()});
      }
      for (String[] c : certs) {
        if (c[0].isEmpty()) {
          issues.error(prefix + " requires a server certificate");
        }
        if (c[1].isEmpty()) {
          issues.error(prefix + " requires a private key");
        }
      }
    }
    if (!tls.getCaCrl().isEmpty()) {
      if (!tls.getCredentialName().isEmpty()) {
        issues.error("CRL is not supported with credentialName. CRL has to be specified in the credential");
      }
      if (mode == TLSmode.SIMPLE) {
        issues.error("CRL is not supported with SIMPLE TLS");
      }
    }
  }

  private static boolean hasAnyCertificate(ServerTLSSettings tls) {
    return !tls.getCaCrl().isEmpty() || !tls.getServerCertificate().isEmpty()
        || !tls.getPrivateKey().isEmpty() || !tls.getCaCertificates().isEmpty()
        || tls.getTlsCertificatesCount() > 0 || !tls.getCredentialName().isEmpty()
        || tls.getCredentialNamesCount() > 0;
  }

  private static void ciphers(Issues issues, List<String> suites) {
    Set<String> invalid = new TreeSet<>();
    Set<String> valid = new TreeSet<>();
    Set<String> duplicate = new TreeSet<>();
    for (String cs : suites) {
      if (!CIPHERS.contains(cs)) {
        invalid.add(cs);
      } else if (!valid.add(cs)) {
        duplicate.add(cs);
      }
    }
    if (!invalid.isEmpty()) {
      issues.warn("ignoring invalid cipher suites: [" + String.join(" ", invalid) + "]");
    }
    if (!duplicate.isEmpty()) {
      issues.warn("ignoring duplicate cipher suites: [" + String.join(" ", duplicate) + "]");
    }
  }
}
