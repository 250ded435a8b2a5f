package dev.istiod.ca.tls;

import dev.istiod.ca.IssuedCertificate;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A server key manager that serves whatever certificate the supplier holds at handshake time
 * (upstream's GetCertificate hook), so a re-issued serving certificate applies to the next
 * connection without rebuilding the server.
 *
 * <p>The JDK asks for an alias first and for the chain and key later; the alias names one
 * certificate (its serial), and recently served ones are kept, so a handshake never pairs the
 * chain of one certificate with the key of another across a swap.
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {
  private static final int KEEP = 4;

  private final Supplier<IssuedCertificate> source;
  private final Map<String, IssuedCertificate> byAlias = new ConcurrentHashMap<>();

  public ReloadingKeyManager(Supplier<IssuedCertificate> source) {
    this.source = Objects.requireNonNull(source, "source");
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return chooseServerAlias(keyType, issuers, null);
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    IssuedCertificate cert = source.get();
    if (cert == null || !matches(keyType, cert.key())) {
      return null;
    }
    String alias = "istiod-" + cert.leaf().getSerialNumber().toString(16);
    if (byAlias.putIfAbsent(alias, cert) == null && byAlias.size() > KEEP) {
      byAlias.keySet().removeIf(a -> !a.equals(alias) && byAlias.size() > KEEP);
    }
    return alias;
  }

  /**
   * JSSE asks per key type ("RSA", "EC"; "RSASSA-PSS" only for keys with the PSS OID, which the CA
   * never makes); answer only for the current key's own type.
   */
  private static boolean matches(String keyType, PrivateKey key) {
    return keyType.equals(key.getAlgorithm());
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    IssuedCertificate cert = byAlias.get(alias);
    return cert == null ? null : cert.chain().toArray(new X509Certificate[0]);
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    IssuedCertificate cert = byAlias.get(alias);
    return cert == null ? null : cert.key();
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    String alias = chooseServerAlias(keyType, issuers, null);
    return alias == null ? null : new String[] {alias};
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return null;
  }
}
