package dev.istiod.ca.tls;

import dev.istiod.ca.IssuedCertificate;
import dev.istiod.ca.auth.AuthContextInterceptor;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.net.SocketAddress;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;

/**
 * The TLS setup of istiod's secure gRPC port (15012), as upstream's initSecureDiscoveryService:
 * TLS 1.2 or newer, ALPN {@code h2} (grpc-go clients since 1.67 refuse servers without it), the
 * serving certificate read per handshake, client certificates optional but, when sent, verified
 * against the mesh roots, and {@link AuthContextInterceptor} installed so the CA and ADS services
 * can authenticate callers.
 *
 * <p>Returns a {@link NettyServerBuilder}: the caller applies its keepalive and size limits and adds
 * its services (ADS, {@code IstioCertificateService}).
 */
public final class SecureGrpcServer {
  /** {@code --tls-min-version}: "1.2" (default) or "1.3". */
  public enum MinTlsVersion {
    TLS_1_2("TLSv1.3", "TLSv1.2"),
    TLS_1_3("TLSv1.3");

    private final String[] protocols;

    MinTlsVersion(String... protocols) {
      this.protocols = protocols;
    }

    public static MinTlsVersion parse(String flag) {
      return switch (flag == null ? "" : flag) {
        case "", "1.2", "TLSv1.2", "VersionTLS12" -> TLS_1_2;
        case "1.3", "TLSv1.3", "VersionTLS13" -> TLS_1_3;
        default -> throw new IllegalArgumentException("unsupported TLS version \"" + flag + "\" (use 1.2 or 1.3)");
      };
    }
  }

  private SecureGrpcServer() {}

  /**
   * A Netty server builder on {@code address} with istiod's TLS.
   *
   * @param servingCert the current serving certificate (e.g. {@link ServingCertificate})
   * @param roots the current mesh roots (e.g. {@code () -> ca.bundle().roots()})
   * @param cipherSuites {@code --tls-cipher-suites} in JSSE names; empty for the JDK's defaults
   */
  public static NettyServerBuilder builder(SocketAddress address, Supplier<IssuedCertificate> servingCert,
      Supplier<List<X509Certificate>> roots, MinTlsVersion minVersion, List<String> cipherSuites) throws SSLException {
    return NettyServerBuilder.forAddress(address)
        .sslContext(sslContext(servingCert, roots, minVersion, cipherSuites))
        .intercept(new AuthContextInterceptor());
  }

  /** The server TLS context alone, for servers built elsewhere. */
  public static SslContext sslContext(Supplier<IssuedCertificate> servingCert, Supplier<List<X509Certificate>> roots,
      MinTlsVersion minVersion, List<String> cipherSuites) throws SSLException {
    Objects.requireNonNull(minVersion, "minVersion");
    SslContextBuilder b = GrpcSslContexts.configure(
        SslContextBuilder.forServer(new ReloadingKeyManager(servingCert)), SslProvider.JDK)
        .trustManager(new MeshRootsTrustManager(roots))
        .clientAuth(ClientAuth.OPTIONAL)
        .protocols(minVersion.protocols);
    if (cipherSuites != null && !cipherSuites.isEmpty()) {
      b.ciphers(cipherSuites);
    }
    return b.build();
  }
}
