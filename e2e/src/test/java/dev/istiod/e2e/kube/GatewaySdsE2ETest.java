package dev.istiod.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.istiod.e2e.EnvoyProcess;
import dev.istiod.e2e.IstiodProcess;
import dev.istiod.e2e.Ports;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A gateway serving HTTPS with the certificate of a Kubernetes Secret named by {@code credentialName}, delivered
 * by istiod over SDS on the gateway's own ADS stream, against a real kube-apiserver and an upstream Envoy. The
 * Envoy connects like pilot-agent would on its behalf: to istiod's secure port (TLS, istiod's certificate checked
 * against the root of the namespace's {@code istio-ca-root-cert} ConfigMap) with a token from
 * {@code kubectl create token <sa> --audience istio-ca}, so istiod knows who it is; its service account may read
 * the namespace's Secrets (a Role, as the gateway chart grants). Changing the Secret changes the certificate
 * served, without restarting anything.
 */
@Tag("e2e")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class GatewaySdsE2ETest {
  @RegisterExtension
  static final KubeCluster cluster = KubeCluster.perClass();

  static final String NS = "gateways";
  static final String SA = "ingress";
  static final String HOST = "gw.example.com";
  static final Duration CONVERGENCE = Duration.ofSeconds(60);

  @Test
  void gateway_servesTheCredentialNameSecret_andPicksUpItsChanges(TestInfo info) throws Exception {
    Path workDir = KubeTools.workDir(info);
    Pem first = Pem.selfSigned(HOST, "first", workDir);
    Pem second = Pem.selfSigned(HOST, "second", workDir);
    int httpsPort = Ports.freeLoopbackPort();
    cluster.installIstioCrds();
    cluster.apply(KubeYaml.namespace("istio-system") + "---\n" + KubeYaml.namespace(NS) + "---\n"
        + gatewayAccount() + tlsSecret(first) + gatewayConfig(httpsPort));

    Path configDir = Files.createDirectories(workDir.resolve("config"));
    try (IstiodProcess istiod = IstiodProcess.start(configDir, workDir, cluster.clientEnv())) {
      Path root = workDir.resolve("root-cert.pem");
      Files.writeString(root, awaitRootCert());
      String token = cluster.kubectl("create", "token", SA, "-n", NS, "--audience", "istio-ca").stdout().trim();
      try (EnvoyProcess envoy = EnvoyProcess.startWithBootstrap(workDir.resolve("gateway"),
          admin -> bootstrap(istiod.secureGrpcPort(), root, token, admin))) {
        await("the gateway serves the Secret's certificate").atMost(CONVERGENCE).pollInterval(Duration.ofMillis(500))
            .untilAsserted(() -> assertThat(servedCertificate(httpsPort)).isEqualTo(first.certificate()));
        assertThat(httpsStatus(httpsPort)).as("the route behind the TLS chain answers").isEqualTo(200);

        cluster.apply(tlsSecret(second));

        await("the gateway serves the changed Secret's certificate").atMost(CONVERGENCE)
            .pollInterval(Duration.ofMillis(500))
            .untilAsserted(() -> assertThat(servedCertificate(httpsPort)).isEqualTo(second.certificate()));
        assertThat(envoy.stats("update_rejected$")).as("Envoy update_rejected stats (see envoy.log)")
            .allSatisfy((name, value) -> assertThat(value).as(name).isZero());
        assertThat(envoy.log()).doesNotContain("PRIVATE KEY");
      }
      assertThat(istiod.log()).as("istiod never logs key material").doesNotContain("PRIVATE KEY")
          .doesNotContain(first.keyBase64Fragment()).doesNotContain(second.keyBase64Fragment());
    }
  }

  /** The gateway's service account, allowed to read its namespace's Secrets (what istiod asks with a SubjectAccessReview). */
  static String gatewayAccount() {
    return """
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: %1$s, namespace: %2$s}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: %1$s-sds, namespace: %2$s}
        rules:
        - apiGroups: [""]
          resources: [secrets]
          verbs: [get, watch, list]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: %1$s-sds, namespace: %2$s}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: %1$s-sds}
        subjects:
        - {kind: ServiceAccount, name: %1$s, namespace: %2$s}
        ---
        """.formatted(SA, NS);
  }

  static String tlsSecret(Pem pem) {
    Base64.Encoder b64 = Base64.getEncoder();
    return """
        apiVersion: v1
        kind: Secret
        metadata: {name: gw-credential, namespace: %s}
        type: kubernetes.io/tls
        data:
          tls.crt: %s
          tls.key: %s
        ---
        """.formatted(NS, b64.encodeToString(pem.certificatePem().getBytes(StandardCharsets.UTF_8)),
        b64.encodeToString(pem.keyPem().getBytes(StandardCharsets.UTF_8)));
  }

  static String gatewayConfig(int httpsPort) {
    return """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: %1$s}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: %2$d, name: https, protocol: HTTPS}
            hosts: [%3$s]
            tls: {mode: SIMPLE, credentialName: gw-credential}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: gw, namespace: %1$s}
        spec:
          hosts: [%3$s]
          gateways: [gw]
          http:
          - directResponse: {status: 200, body: {string: "served over SDS"}}
        """.formatted(NS, httpsPort, HOST);
  }

  /** The mesh root as a Pod would mount it: the namespace's istio-ca-root-cert ConfigMap. */
  static String awaitRootCert() {
    String[] root = new String[1];
    await("istio-ca-root-cert in " + NS).atMost(CONVERGENCE).pollInterval(Duration.ofMillis(500)).until(() -> {
      Command.Result r = cluster.tryKubectl("get", "configmap", "istio-ca-root-cert", "-n", NS,
          "-o", "jsonpath={.data.root-cert\\.pem}");
      root[0] = r.stdout();
      return r.ok() && root[0].contains("BEGIN CERTIFICATE");
    });
    return root[0];
  }

  /**
   * A router bootstrap as pilot-agent's, but with Envoy itself talking to istiod: ADS over TLS to the secure
   * port, the token as gRPC metadata, node metadata naming the namespace and service account.
   */
  static String bootstrap(int securePort, Path rootCert, String token, int adminPort) {
    return """
        node:
          id: "router~127.0.0.1~ingress-1.%1$s~%1$s.svc.cluster.local"
          cluster: "ingress.%1$s"
          metadata:
            NAMESPACE: "%1$s"
            SERVICE_ACCOUNT: "%2$s"
            INSTANCE_IPS: "127.0.0.1"
            ISTIO_VERSION: "1.28.0"
            CLUSTER_ID: Kubernetes
            LABELS: {istio: ingressgateway}
        dynamic_resources:
          ads_config:
            api_type: DELTA_GRPC
            transport_api_version: V3
            set_node_on_first_message_only: true
            grpc_services:
            - envoy_grpc: {cluster_name: xds-grpc}
              initial_metadata:
              - {key: authorization, value: "Bearer %3$s"}
          cds_config: {ads: {}, resource_api_version: V3}
          lds_config: {ads: {}, resource_api_version: V3}
        static_resources:
          clusters:
          - name: xds-grpc
            type: STATIC
            connect_timeout: 1s
            typed_extension_protocol_options:
              envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
                "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
                explicit_http_config: {http2_protocol_options: {}}
            transport_socket:
              name: envoy.transport_sockets.tls
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
                sni: istiod.istio-system.svc
                common_tls_context:
                  alpn_protocols: [h2]
                  validation_context:
                    trusted_ca: {filename: "%4$s"}
                    match_typed_subject_alt_names:
                    - san_type: DNS
                      matcher: {exact: istiod.istio-system.svc}
            load_assignment:
              cluster_name: xds-grpc
              endpoints:
              - lb_endpoints:
                - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: %5$d}}}
        admin:
          address: {socket_address: {address: 127.0.0.1, port_value: %6$d}}
        """.formatted(NS, SA, token, rootCert, securePort, adminPort);
  }

  /** The certificate the gateway presents for {@link #HOST} (SNI), without trusting it. */
  static X509Certificate servedCertificate(int port) throws Exception {
    try (SSLSocket socket = connect(port)) {
      socket.startHandshake();
      return (X509Certificate) socket.getSession().getPeerCertificates()[0];
    }
  }

  /** The status of {@code GET /} over the gateway's TLS chain. */
  static int httpsStatus(int port) throws Exception {
    try (SSLSocket socket = connect(port)) {
      OutputStream out = socket.getOutputStream();
      out.write(("GET / HTTP/1.1\r\nHost: " + HOST + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      String status = new String(in.readNBytes(12), StandardCharsets.US_ASCII); // "HTTP/1.1 200"
      return Integer.parseInt(status.substring(9, 12));
    }
  }

  private static SSLSocket connect(int port) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, new TrustManager[] {new TrustAll()}, new SecureRandom());
    SSLSocket socket = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port);
    socket.setSoTimeout(5_000);
    SSLParameters params = socket.getSSLParameters();
    params.setServerNames(List.of(new SNIHostName(HOST)));
    params.setApplicationProtocols(new String[] {"http/1.1"});
    socket.setSSLParameters(params);
    return socket;
  }

  /** The test checks which certificate it got, not whether it trusts it. */
  private static final class TrustAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  /** A self-signed certificate and its key as PEM, made with the JDK's keytool (no crypto library needed). */
  record Pem(X509Certificate certificate, String certificatePem, String keyPem) {
    static Pem selfSigned(String dnsName, String alias, Path dir) throws Exception {
      Path store = dir.resolve(alias + ".p12");
      Files.createDirectories(dir);
      Files.deleteIfExists(store);
      char[] password = "e2e-test".toCharArray();
      Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
      Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", alias, "-keyalg", "EC",
          "-groupname", "secp256r1", "-dname", "CN=" + dnsName + ",O=" + alias, "-ext", "SAN=dns:" + dnsName,
          "-validity", "2", "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", new String(password))
          .redirectErrorStream(true).redirectOutput(dir.resolve("keytool-" + alias + ".log").toFile()).start();
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException("keytool failed, see " + dir);
      }
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(store)) {
        ks.load(in, password);
      }
      Certificate cert = ks.getCertificate(alias);
      PrivateKey key = (PrivateKey) ks.getKey(alias, password);
      return new Pem((X509Certificate) cert, pem("CERTIFICATE", cert.getEncoded()), pem("PRIVATE KEY", key.getEncoded()));
    }

    private static String pem(String type, byte[] der) {
      return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
          .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    /** A piece of the key's base64 that would show up if the key were ever logged. */
    String keyBase64Fragment() {
      return keyPem.lines().skip(2).findFirst().orElseThrow();
    }

    @Override
    public String toString() {
      return "Pem[" + certificate.getSubjectX500Principal() + "]";
    }
  }
}
