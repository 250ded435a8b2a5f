package dev.istiod.ca.tls;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Verifies client certificates on 15012 against the mesh's current roots (upstream: ClientCAs =
 * the mesh roots, client certificate optional). The roots are read per handshake, so a rotation
 * or a plugged-CA reload applies at once; the JDK's PKIX trust manager does the verification and
 * is rebuilt only when the roots change.
 */
public final class MeshRootsTrustManager extends X509ExtendedTrustManager {
  private final Supplier<List<X509Certificate>> roots;
  private final AtomicReference<Built> built = new AtomicReference<>();

  private record Built(List<X509Certificate> roots, X509ExtendedTrustManager delegate) {}

  public MeshRootsTrustManager(Supplier<List<X509Certificate>> roots) {
    this.roots = Objects.requireNonNull(roots, "roots");
  }

  private X509ExtendedTrustManager delegate() throws CertificateException {
    List<X509Certificate> now = roots.get();
    Built b = built.get();
    if (b != null && b.roots().equals(now)) {
      return b.delegate();
    }
    try {
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      for (int i = 0; i < now.size(); i++) {
        ks.setCertificateEntry("root-" + i, now.get(i));
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      tmf.init(ks);
      for (TrustManager tm : tmf.getTrustManagers()) {
        if (tm instanceof X509ExtendedTrustManager x) {
          built.set(new Built(List.copyOf(now), x));
          return x;
        }
      }
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new CertificateException("cannot build a trust manager over the mesh roots", e);
    }
    throw new CertificateException("no X509 trust manager available");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    delegate().checkClientTrusted(chain, authType, engine);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    delegate().checkClientTrusted(chain, authType, socket);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    delegate().checkClientTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    delegate().checkServerTrusted(chain, authType, engine);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    delegate().checkServerTrusted(chain, authType, socket);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    delegate().checkServerTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return roots.get().toArray(new X509Certificate[0]);
  }
}
