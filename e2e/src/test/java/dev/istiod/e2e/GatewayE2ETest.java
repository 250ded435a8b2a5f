package dev.istiod.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A real upstream Envoy as an ingress gateway ({@code router} node, labels {@code istio: ingressgateway}) fed by
 * istiod from a Gateway and VirtualServices bound to it: plain HTTP and HTTPS (a certificate generated here, served
 * from files) reach the backend the VirtualService names, an {@code httpsRedirect} server answers 301, and a TLS
 * passthrough server hands the still-encrypted connection to the TLS backend chosen by SNI. Envoy rejects nothing.
 */
@Tag("e2e")
@ExtendWith(PrintLogsOnFailure.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class GatewayE2ETest {
  static final SidecarNode GATEWAY = new SidecarNode("ingress-1", "istio-system", "127.0.0.1", "1.28.0",
      Map.of("istio", "ingressgateway"));
  static final String WEB_HOST = "web.example.com";
  static final String SECURE_HOST = "secure.example.com";
  static final Duration CONVERGENCE_BOUND = Duration.ofSeconds(60);

  @ParameterizedTest(name = "{0}")
  @EnumSource(AdsMode.class)
  void httpAndHttpsServers_routeTheBoundHostToItsBackend_andOtherHostsGet404(AdsMode mode, TestInfo info) {
    try (Fixture f = Fixture.start(Workspace.forTest(info), mode)) {
      await("HTTP and HTTPS through the gateway reach the web backend").atMost(CONVERGENCE_BOUND)
          .pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            assertThat(f.http(f.httpPort, WEB_HOST).servedBy()).isEqualTo("web");
            assertThat(f.https(f.httpsPort, WEB_HOST, f.gatewayCert).servedBy()).isEqualTo("web");
          });
      f.web.clearRequests();

      HttpCall.Reply plain = f.http(f.httpPort, WEB_HOST);
      HttpCall.Reply tls = f.https(f.httpsPort, WEB_HOST, f.gatewayCert);
      HttpCall.Reply unknown = f.http(f.httpPort, "other.example.com");

      assertThat(plain.status()).isEqualTo(200);
      assertThat(tls.status()).isEqualTo(200);
      assertThat(f.web.requests()).hasSize(2).allSatisfy(r -> assertThat(r.headers()).containsKey("x-forwarded-for"));
      assertThat(unknown.status()).as("a host no VirtualService binds").isEqualTo(404);
      assertThat(unknown.servedBy()).isEmpty();
      f.assertNoRejects();
    }
  }

  @Test
  void httpsRedirectServer_answers301ToTheHttpsUrl(TestInfo info) {
    try (Fixture f = Fixture.start(Workspace.forTest(info), AdsMode.DELTA)) {
      await("the redirect server answers").atMost(CONVERGENCE_BOUND).pollInterval(Duration.ofMillis(250))
          .untilAsserted(() -> assertThat(f.http(f.redirectPort, WEB_HOST).status()).isEqualTo(301));

      HttpCall.Reply reply = HttpCall.get("127.0.0.1", f.redirectPort, WEB_HOST, "/shop?item=1", Map.of());

      assertThat(reply.status()).isEqualTo(301);
      assertThat(reply.headers().get("location")).isEqualTo("https://" + WEB_HOST + "/shop?item=1");
      assertThat(f.web.requests()).as("the backend never sees plain-text requests").isEmpty();
      f.assertNoRejects();
    }
  }

  @Test
  void tlsPassthroughServer_forwardsBySniToTheTlsBackend_whichTerminatesTls(TestInfo info) {
    try (Fixture f = Fixture.start(Workspace.forTest(info), AdsMode.DELTA)) {
      await("TLS passthrough reaches the secure backend").atMost(CONVERGENCE_BOUND).pollInterval(Duration.ofMillis(250))
          .untilAsserted(() -> assertThat(f.https(f.passthroughPort, SECURE_HOST, f.secureCert).servedBy())
              .isEqualTo("secure"));

      // The client trusts only the backend's own certificate: the handshake succeeds only if the gateway passed
      // the TLS connection through instead of terminating it.
      HttpCall.Reply reply = f.https(f.passthroughPort, SECURE_HOST, f.secureCert);
      HttpCall.Reply wrongSni = f.https(f.passthroughPort, WEB_HOST, f.secureCert);

      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.body()).isEqualTo("secure\n");
      assertThat(wrongSni.status()).as("an SNI no tls route claims gets no chain: %s", wrongSni).isZero();
      f.assertNoRejects();
    }
  }

  /** istiod on a config directory with the Gateway and VirtualServices, the backends, and the gateway Envoy. */
  static final class Fixture implements AutoCloseable {
    final Path workDir;
    final int httpPort;
    final int httpsPort;
    final int redirectPort;
    final int passthroughPort;
    final Certificate gatewayCert;
    final Certificate secureCert;
    final List<AutoCloseable> closeables = new ArrayList<>();
    Backend web;
    IstiodProcess istiod;
    EnvoyProcess envoy;

    private Fixture(Path workDir) {
      this.workDir = workDir;
      List<Integer> ports = Ports.freeLoopbackPorts(4);
      httpPort = ports.get(0);
      httpsPort = ports.get(1);
      redirectPort = ports.get(2);
      passthroughPort = ports.get(3);
      gatewayCert = Certificate.generate(workDir.resolve("gateway-cert"), WEB_HOST);
      secureCert = Certificate.generate(workDir.resolve("secure-cert"), SECURE_HOST);
    }

    static Fixture start(Path workDir, AdsMode mode) {
      Fixture f = new Fixture(workDir);
      try {
        f.web = Backend.start("web", "127.0.0.2", Ports.freeLoopbackPort());
        f.closeables.add(f.web);
        TlsBackend secure = TlsBackend.start("secure", "127.0.0.3", Ports.freeLoopbackPort(), f.secureCert);
        f.closeables.add(secure);
        ConfigDir config = new ConfigDir(workDir);
        config.write("gateway.yaml", f.configYaml(secure.port()));
        f.istiod = IstiodProcess.start(config.path(), workDir, Map.of());
        f.closeables.add(f.istiod);
        f.envoy = EnvoyProcess.startGateway(workDir, GATEWAY, mode, f.istiod.grpcPort());
        f.closeables.add(0, f.envoy);
        return f;
      } catch (RuntimeException | AssertionError e) {
        f.close();
        throw e;
      }
    }

    String configYaml(int securePort) {
      return """
          apiVersion: networking.istio.io/v1
          kind: ServiceEntry
          metadata: {name: web, namespace: default}
          spec:
            hosts: [web.default.svc.cluster.local]
            location: MESH_INTERNAL
            resolution: STATIC
            ports: [{number: %d, name: http, protocol: HTTP}]
            endpoints: [{address: 127.0.0.2}]
          ---
          apiVersion: networking.istio.io/v1
          kind: ServiceEntry
          metadata: {name: secure, namespace: default}
          spec:
            hosts: [secure.default.svc.cluster.local]
            location: MESH_INTERNAL
            resolution: STATIC
            ports: [{number: %d, name: tls, protocol: TLS}]
            endpoints: [{address: 127.0.0.3}]
          ---
          apiVersion: networking.istio.io/v1
          kind: Gateway
          metadata: {name: ingress, namespace: istio-system}
          spec:
            selector: {istio: ingressgateway}
            servers:
            - port: {number: %d, name: http, protocol: HTTP}
              bind: 127.0.0.1
              hosts: ["*.example.com"]
            - port: {number: %d, name: https, protocol: HTTPS}
              bind: 127.0.0.1
              hosts: [%s]
              tls: {mode: SIMPLE, serverCertificate: %s, privateKey: %s}
            - port: {number: %d, name: http-redirect, protocol: HTTP}
              bind: 127.0.0.1
              hosts: [%s]
              tls: {httpsRedirect: true}
            - port: {number: %d, name: tls-passthrough, protocol: TLS}
              bind: 127.0.0.1
              hosts: [%s]
              tls: {mode: PASSTHROUGH}
          ---
          apiVersion: networking.istio.io/v1
          kind: VirtualService
          metadata: {name: web, namespace: default}
          spec:
            hosts: [%s]
            gateways: [istio-system/ingress]
            http:
            - route:
              - destination: {host: web.default.svc.cluster.local}
          ---
          apiVersion: networking.istio.io/v1
          kind: VirtualService
          metadata: {name: secure, namespace: default}
          spec:
            hosts: [%s]
            gateways: [istio-system/ingress]
            tls:
            - match:
              - sniHosts: [%s]
              route:
              - destination: {host: secure.default.svc.cluster.local}
          """.formatted(web.port(), securePort, httpPort, httpsPort, WEB_HOST, gatewayCert.certFile(),
          gatewayCert.keyFile(), redirectPort, WEB_HOST, passthroughPort, SECURE_HOST, WEB_HOST, SECURE_HOST,
          SECURE_HOST);
    }

    HttpCall.Reply http(int port, String host) {
      return HttpCall.get("127.0.0.1", port, host, "/", Map.of());
    }

    /** GET over TLS with {@code host} as SNI and Host, trusting only {@code trusted} and checking the name. */
    HttpCall.Reply https(int port, String host, Certificate trusted) {
      try (SSLSocket tls = (SSLSocket) trusted.clientContext().getSocketFactory()
          .createSocket(HttpCall.connect("127.0.0.1", port), host, port, true)) {
        SSLParameters params = tls.getSSLParameters();
        params.setServerNames(List.of(new SNIHostName(host)));
        params.setEndpointIdentificationAlgorithm("HTTPS");
        tls.setSSLParameters(params);
        tls.startHandshake();
        return HttpCall.exchange(tls, host, "/", Map.of());
      } catch (IOException e) {
        return HttpCall.Reply.failed(e);
      }
    }

    /** Envoy rejected no update, istiod counted no NACK, and syncz shows the gateway acked everything. */
    void assertNoRejects() {
      Map<String, Long> rejected = envoy.stats("update_rejected$");
      assertThat(rejected).as("Envoy update_rejected stats").containsKeys(
          "cluster_manager.cds.update_rejected", "listener_manager.lds.update_rejected");
      assertThat(rejected.keySet()).as("Envoy has RDS subscriptions").anyMatch(name -> name.contains(".rds."));
      assertThat(rejected).as("Envoy update_rejected stats that are not 0 (see envoy.log)")
          .allSatisfy((name, value) -> assertThat(value).as(name).isZero());
      assertThat(istiod.metric("pilot_total_xds_rejects")).as("istiod pilot_total_xds_rejects").isZero();
      await("syncz shows " + GATEWAY.proxyId() + " acked everything it was sent").atMost(CONVERGENCE_BOUND)
          .pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            JsonNode proxy = SynczView.entryFor(istiod.syncz(), GATEWAY.proxyId());
            assertThat(SynczView.errors(proxy)).as("NACK errors recorded by istiod for the gateway").isEmpty();
            assertThat(SynczView.unacked(proxy)).as("types sent but not (yet) acked").isEmpty();
          });
    }

    @Override
    public void close() {
      if (envoy != null && envoy.isAlive()) {
        save("envoy-config_dump.json", envoy.admin("/config_dump").body());
      }
      for (AutoCloseable c : closeables) {
        try {
          c.close();
        } catch (Exception e) {
          // Every process is stopped even if one fails to stop.
        }
      }
    }

    private void save(String name, String content) {
      try {
        Files.writeString(workDir.resolve(name), content, StandardCharsets.UTF_8);
      } catch (IOException e) {
        // Diagnostics only.
      }
    }
  }

  /**
   * A self-signed certificate for one host, made with the JDK's keytool, as the PEM files a Gateway names
   * ({@code serverCertificate}, {@code privateKey}) and the PKCS#12 keystore a Java server uses.
   */
  record Certificate(Path certFile, Path keyFile, Path keystore, char[] password) {
    static Certificate generate(Path dir, String host) {
      char[] password = "changeit".toCharArray();
      try {
        Files.createDirectories(dir);
        Path keystore = dir.resolve("keystore.p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "cert", "-keyalg", "EC",
            "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA", "-dname", "CN=" + host, "-ext", "SAN=dns:" + host,
            "-validity", "2", "-keystore", keystore.toString(), "-storetype", "PKCS12",
            "-storepass", new String(password), "-keypass", new String(password))
            .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
          throw new IllegalStateException("keytool failed: " + output);
        }
        KeyStore ks = load(keystore, password);
        Base64.Encoder pem = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        Path certFile = Files.writeString(dir.resolve("tls.crt"), "-----BEGIN CERTIFICATE-----\n"
            + pem.encodeToString(ks.getCertificate("cert").getEncoded()) + "\n-----END CERTIFICATE-----\n");
        Path keyFile = Files.writeString(dir.resolve("tls.key"), "-----BEGIN PRIVATE KEY-----\n"
            + pem.encodeToString(ks.getKey("cert", password).getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        return new Certificate(certFile, keyFile, keystore, password);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    private static KeyStore load(Path keystore, char[] password) throws IOException, GeneralSecurityException {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(keystore)) {
        ks.load(in, password);
      }
      return ks;
    }

    /** A client context that trusts this certificate and nothing else. */
    SSLContext clientContext() {
      try {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("cert", (X509Certificate) load(keystore, password).getCertificate("cert"));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }

    /** A server context presenting this certificate. */
    SSLContext serverContext() throws IOException, GeneralSecurityException {
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(load(keystore, password), password);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, null);
      return ctx;
    }
  }

  /** An HTTPS workload that terminates TLS with its own certificate and answers with its name. */
  static final class TlsBackend implements AutoCloseable {
    private final HttpsServer server;
    private final ExecutorService executor;

    private TlsBackend(HttpsServer server, ExecutorService executor) {
      this.server = server;
      this.executor = executor;
    }

    static TlsBackend start(String name, String address, int port, Certificate cert) {
      try {
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getByName(address), port), 16);
        server.setHttpsConfigurator(new HttpsConfigurator(cert.serverContext()));
        server.createContext("/", exchange -> {
          try (exchange; InputStream body = exchange.getRequestBody()) {
            body.readAllBytes();
            byte[] reply = (name + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set(Backend.SERVED_BY, name);
            exchange.sendResponseHeaders(200, reply.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(reply);
            }
          }
        });
        ExecutorService executor = Executors.newFixedThreadPool(2);
        server.setExecutor(executor);
        server.start();
        return new TlsBackend(server, executor);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start TLS backend " + name + " on " + address + ":" + port, e);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }

    int port() {
      return server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
      executor.shutdownNow();
    }
  }
}
