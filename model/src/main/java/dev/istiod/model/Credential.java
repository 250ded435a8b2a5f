package dev.istiod.model;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The data of one Secret that a {@code credentialName} may name, as the credentials source holds
 * it, with upstream's rules for finding the certificate in it. Two layouts are understood, in
 * this order of preference (upstream's {@code ExtractCertInfo}/{@code ExtractRoot}):
 * <ul>
 *   <li>generic (Opaque): {@code cert}, {@code key}, {@code cacert}, {@code crl};</li>
 *   <li>{@code kubernetes.io/tls}: {@code tls.crt}, {@code tls.key}, {@code ca.crt},
 *       {@code ca.crl}, {@code tls.ocsp-staple}.</li>
 * </ul>
 * The Secret's {@code type} is not consulted, as upstream: what matters is which keys it has.
 *
 * <p>{@link #toString()} names only the keys, never their values: this object holds private keys.
 *
 * @param data the Secret's data by key (decoded bytes)
 */
public record Credential(String namespace, String name, Map<String, ByteString> data) {
  public static final String GENERIC_CERT = "cert";
  public static final String GENERIC_KEY = "key";
  public static final String GENERIC_CA_CERT = "cacert";
  public static final String GENERIC_CRL = "crl";
  public static final String TLS_CERT = "tls.crt";
  public static final String TLS_KEY = "tls.key";
  public static final String TLS_CA_CERT = "ca.crt";
  public static final String TLS_CRL = "ca.crl";
  public static final String TLS_OCSP_STAPLE = "tls.ocsp-staple";

  public Credential {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    data = data == null ? Map.of() : Map.copyOf(data);
  }

  /**
   * A server (or client) certificate: the chain and its private key, with the optional OCSP
   * staple and CRL. Empty optional parts are {@link ByteString#EMPTY}.
   */
  public record KeyCertificate(ByteString certificateChain, ByteString privateKey, ByteString ocspStaple,
      ByteString crl) {
    @Override
    public String toString() {
      return "KeyCertificate[chain " + certificateChain.size() + " bytes, key redacted]";
    }
  }

  /** A trust bundle: the CA certificates and the optional CRL. */
  public record CaCertificate(ByteString caCertificates, ByteString crl) {}

  /**
   * The certificate and key, generic keys first.
   *
   * @throws IllegalArgumentException naming the keys that were expected and found (never values)
   */
  public KeyCertificate keyCertificate() {
    if (hasValues(GENERIC_CERT, GENERIC_KEY)) {
      return new KeyCertificate(data.get(GENERIC_CERT), data.get(GENERIC_KEY), ByteString.EMPTY, value(GENERIC_CRL));
    }
    if (hasValues(TLS_CERT, TLS_KEY)) {
      return new KeyCertificate(data.get(TLS_CERT), data.get(TLS_KEY), value(TLS_OCSP_STAPLE), value(TLS_CRL));
    }
    if (hasKeys(GENERIC_CERT, GENERIC_KEY)) {
      throw new IllegalArgumentException("found keys \"cert\" and \"key\", but they were empty");
    }
    if (hasKeys(TLS_CERT, TLS_KEY)) {
      throw new IllegalArgumentException("found keys \"tls.crt\" and \"tls.key\", but they were empty");
    }
    throw new IllegalArgumentException("found secret, but didn't have expected keys (cert and key) or (tls.crt and tls.key); found: "
        + keysSummary());
  }

  /**
   * The CA certificates, generic key first.
   *
   * @throws IllegalArgumentException naming the keys that were expected and found
   */
  public CaCertificate caCertificate() {
    if (hasValues(GENERIC_CA_CERT)) {
      return new CaCertificate(data.get(GENERIC_CA_CERT), value(GENERIC_CRL));
    }
    if (hasValues(TLS_CA_CERT)) {
      return new CaCertificate(data.get(TLS_CA_CERT), value(TLS_CRL));
    }
    if (hasKeys(GENERIC_CA_CERT)) {
      throw new IllegalArgumentException("found key \"cacert\", but it was empty");
    }
    if (hasKeys(TLS_CA_CERT)) {
      throw new IllegalArgumentException("found key \"ca.crt\", but it was empty");
    }
    throw new IllegalArgumentException("found secret, but didn't have expected keys cacert or ca.crt; found: "
        + keysSummary());
  }

  private boolean hasValues(String... keys) {
    for (String k : keys) {
      ByteString v = data.get(k);
      if (v == null || v.isEmpty()) {
        return false;
      }
    }
    return true;
  }

  private boolean hasKeys(String... keys) {
    for (String k : keys) {
      if (!data.containsKey(k)) {
        return false;
      }
    }
    return true;
  }

  private ByteString value(String key) {
    return data.getOrDefault(key, ByteString.EMPTY);
  }

  /** Up to three key names, then a count, as upstream's error messages. */
  private String keysSummary() {
    List<String> keys = new ArrayList<>(new TreeMap<>(data).keySet());
    if (keys.size() < 3) {
      return String.join(", ", keys);
    }
    return String.join(", ", keys.subList(0, 3)) + ", and " + (keys.size() - 3) + " more...";
  }

  @Override
  public String toString() {
    return "Credential[" + namespace + "/" + name + " keys " + new TreeMap<>(data).keySet() + "]";
  }
}
