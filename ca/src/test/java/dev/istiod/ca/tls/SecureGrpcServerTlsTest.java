package dev.istiod.ca.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.ca.IssuedCertificate;
import dev.istiod.ca.IstioCa;
import dev.istiod.ca.pki.Certificates;
import dev.istiod.ca.pki.KeyCertBundle;
import dev.istiod.ca.pki.KeyType;
import io.grpc.Server;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The 15012 TLS setup with both CA key types, over TLS 1.3 and 1.2, negotiating h2. */
class SecureGrpcServerTlsTest {

  @ParameterizedTest
  @EnumSource(value = KeyType.class, names = {"RSA", "EC_P256"})
  void servesTheCasCertificate_overTls13And12_withAlpnH2(KeyType type) throws Exception {
    KeyPair keys = type.generate(2048);
    Instant now = Instant.now();
    X509Certificate root = Certificates.selfSignedRoot(keys, "cluster.local", now, Duration.ofDays(1));
    IstioCa ca = new IstioCa(KeyCertBundle.verified(root, keys.getPrivate(), List.of(), List.of(root), now),
        Duration.ofHours(1), Duration.ofDays(90), Clock.systemUTC());
    IssuedCertificate serving = ca.issueWithNewKey(List.of("istiod.istio-system.svc"), Duration.ofDays(1), 2048);
    Server server = SecureGrpcServer.builder(new InetSocketAddress("127.0.0.1", 0), () -> serving,
        () -> ca.bundle().roots(), SecureGrpcServer.MinTlsVersion.TLS_1_2, List.of()).build().start();
    try {
      for (String protocol : List.of("TLSv1.3", "TLSv1.2")) {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new X509TrustManager[] {new MeshRootsTrustManager(() -> List.of(root))}, null);
        try (SSLSocket socket = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", server.getPort())) {
          var params = socket.getSSLParameters();
          params.setApplicationProtocols(new String[] {"h2"});
          params.setProtocols(new String[] {protocol});
          socket.setSSLParameters(params);
          socket.startHandshake();
          assertThat(socket.getSession().getProtocol()).isEqualTo(protocol);
          assertThat(socket.getApplicationProtocol()).isEqualTo("h2");
          assertThat(socket.getSession().getPeerCertificates()[0]).isEqualTo(serving.leaf());
        }
      }
    } finally {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
