package dev.istiod.ca.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.istiod.api.security.v1alpha1.IstioCertificateRequest;
import dev.istiod.api.security.v1alpha1.IstioCertificateResponse;
import dev.istiod.api.security.v1alpha1.IstioCertificateServiceGrpc;
import dev.istiod.ca.IssuedCertificate;
import dev.istiod.ca.IstioCa;
import dev.istiod.ca.auth.AuthRequest;
import dev.istiod.ca.auth.Authenticators;
import dev.istiod.ca.auth.ClientCertAuthenticator;
import dev.istiod.ca.auth.KubeJwtAuthenticator;
import dev.istiod.ca.pki.Certificates;
import dev.istiod.ca.pki.KeyCertBundle;
import dev.istiod.ca.pki.KeyType;
import dev.istiod.ca.pki.Pem;
import dev.istiod.ca.pki.SubjectAltNames;
import dev.istiod.ca.testing.FakeTokenReviews;
import dev.istiod.ca.testing.TestPki;
import dev.istiod.ca.tls.IstiodDnsNames;
import dev.istiod.ca.tls.SecureGrpcServer;
import dev.istiod.ca.tls.ServingCertificate;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.netty.handler.ssl.SslContextBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CA service as pilot-agent meets it: gRPC over TLS with ALPN h2 on a grpc-netty server with
 * istiod's serving certificate, a real CSR, and a token the (fake) API server reviews.
 */
@EnableKubernetesMockClient
class SecureCaServerTest {
  private static final String SLEEP = "spiffe://cluster.local/ns/default/sa/sleep";
  private static final String ISTIOD_SA = "spiffe://cluster.local/ns/istio-system/sa/istiod";
  private static final String AUTHORITY = "istiod.istio-system.svc";

  static KubernetesMockServer kubeServer;
  static KubernetesClient kube;

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private KeyPair rootKeys;
  private X509Certificate root;
  private IstioCa ca;
  private ServingCertificate serving;
  private Server server;

  @BeforeAll
  static void installTokenReviews() {
    FakeTokenReviews.install(kubeServer).token("sleep-token", "default", "sleep", "istio-ca");
  }

  @BeforeEach
  void start() throws Exception {
    Instant now = Instant.now();
    rootKeys = KeyType.EC_P256.generate(0);
    root = Certificates.selfSignedRoot(rootKeys, "cluster.local", now, Duration.ofDays(3650));
    ca = new IstioCa(KeyCertBundle.verified(root, rootKeys.getPrivate(), List.of(), List.of(root), now),
        Duration.ofHours(24), Duration.ofDays(90), Clock.systemUTC());
    serving = new ServingCertificate(ca,
        IstiodDnsNames.compute("istio-system", "default", "istiod.istio-system.svc:15012", ""),
        Duration.ofDays(3650), 2048, executor);
    CaServer service = new CaServer(ca, new Authenticators(List.of(new ClientCertAuthenticator(),
        new KubeJwtAuthenticator(kube, "Kubernetes", List.of("istio-ca"), () -> "cluster.local"))),
        Optional.empty(), new CaMetrics(registry, ca));
    server = SecureGrpcServer.builder(new InetSocketAddress("127.0.0.1", 0), serving, () -> ca.bundle().roots(),
            SecureGrpcServer.MinTlsVersion.TLS_1_2, List.of())
        .addService(service).build().start();
  }

  @AfterEach
  void stop() throws Exception {
    channels.forEach(ManagedChannel::shutdownNow);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    serving.close();
    executor.shutdownNow();
  }

  /** A client as pilot-agent: trusts the mesh root, ALPN h2, SNI = the istiod host. */
  private IstioCertificateServiceGrpc.IstioCertificateServiceBlockingStub client(String token,
      IssuedCertificate clientCert, X509TrustManager trust) throws Exception {
    SslContextBuilder ssl = GrpcSslContexts.forClient().trustManager(trust);
    if (clientCert != null) {
      ssl.keyManager(new dev.istiod.ca.testing.ForcedClientKeyManager(clientCert));
    }
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
        .overrideAuthority(AUTHORITY).sslContext(ssl.build()).build();
    channels.add(ch);
    var stub = IstioCertificateServiceGrpc.newBlockingStub(ch).withDeadlineAfter(20, TimeUnit.SECONDS);
    if (token != null) {
      Metadata h = new Metadata();
      h.put(AuthRequest.AUTHORIZATION, "Bearer " + token);
      h.put(AuthRequest.CLUSTER_ID, "Kubernetes");
      stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h));
    }
    return stub;
  }

  private IstioCertificateServiceGrpc.IstioCertificateServiceBlockingStub client(String token) throws Exception {
    return client(token, null, new RecordingTrust(List.of(root)));
  }

  private static IstioCertificateRequest request(KeyPair keys, String requestedSan, long ttlSeconds) {
    return IstioCertificateRequest.newBuilder()
        .setCsr(TestPki.csr(keys, requestedSan))
        .setValidityDuration(ttlSeconds)
        .setMetadata(Struct.newBuilder().putFields("CertSigner", Value.newBuilder().setStringValue("").build()))
        .build();
  }

  @Test
  void tokenCaller_getsItsOwnIdentity_evenWhenTheCsrAsksForAnother() throws Exception {
    KeyPair keys = TestPki.ec();

    IstioCertificateResponse response = client("sleep-token").createCertificate(request(keys, ISTIOD_SA, 3600));

    assertThat(response.getCertChainList()).hasSize(2).allSatisfy(pem -> {
      assertThat(pem).endsWith("-----END CERTIFICATE-----\n");
      assertThat(Pem.parseCertificates(pem)).hasSize(1);
    });
    X509Certificate leaf = Pem.parseCertificate(response.getCertChain(0));
    assertThat(SubjectAltNames.all(leaf)).containsExactly(SLEEP);
    assertThat(leaf.getPublicKey()).isEqualTo(keys.getPublic());
    assertThat(Duration.between(leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant()))
        .isEqualTo(Duration.ofSeconds(3600).plus(Certificates.CLOCK_SKEW_GRACE));
    assertThat(Pem.parseCertificate(response.getCertChain(1))).as("root last").isEqualTo(root);
    leaf.verify(root.getPublicKey());
    assertThat(counter("citadel_server_csr_count")).isEqualTo(1);
    assertThat(counter("citadel_server_success_cert_issuance_count")).isEqualTo(1);
  }

  @Test
  void wrongOrMissingToken_isUnauthenticated() throws Exception {
    for (String token : new String[] {"forged-token", null}) {
      assertThatThrownBy(() -> client(token).createCertificate(request(TestPki.ec(), SLEEP, 0)))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThat(e.getStatus().getDescription()).isEqualTo("request authenticate failure");
          });
    }
    assertThat(counter("citadel_server_authentication_failure_count")).isEqualTo(2);
  }

  @Test
  void ttlOfAHundredDays_isInvalidArgument() {
    assertThatThrownBy(() -> client("sleep-token").createCertificate(request(TestPki.ec(), SLEEP, 100L * 86400)))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).isEqualTo("CSR signing error (requested TTL 2400h0m0s is greater"
              + " than the max allowed TTL 2160h0m0s)");
        });
    assertThat(counter("citadel_server_csr_sign_err_count")).isEqualTo(1);
  }

  @Test
  void garbageCsr_isInvalidArgument() {
    IstioCertificateRequest garbage = IstioCertificateRequest.newBuilder().setCsr("garbage").build();

    assertThatThrownBy(() -> client("sleep-token").createCertificate(garbage))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).startsWith("CSR signing error (");
        });
  }

  @Test
  void impersonationWithoutTrustedNodeAccounts_isUnauthenticated() {
    IstioCertificateRequest req = request(TestPki.ec(), SLEEP, 0).toBuilder()
        .setMetadata(Struct.newBuilder().putFields("ImpersonatedIdentity",
            Value.newBuilder().setStringValue("spiffe://cluster.local/ns/prod/sa/payments").build()))
        .build();

    assertThatThrownBy(() -> client("sleep-token").createCertificate(req))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
          assertThat(e.getStatus().getDescription()).isEqualTo("request impersonation authentication failure");
        });
  }

  @Test
  void clientCertificateFromThisCa_authenticatesWithoutAToken() throws Exception {
    KeyPair keys = TestPki.ec();
    IstioCertificateResponse first = client("sleep-token").createCertificate(request(keys, SLEEP, 3600));
    IssuedCertificate mine = new IssuedCertificate(keys.getPrivate(),
        List.of(Pem.parseCertificate(first.getCertChain(0))), List.of(root));

    IstioCertificateResponse renewed = client(null, mine, new RecordingTrust(List.of(root)))
        .createCertificate(request(TestPki.ec(), ISTIOD_SA, 3600));

    assertThat(SubjectAltNames.all(Pem.parseCertificate(renewed.getCertChain(0)))).containsExactly(SLEEP);
  }

  @Test
  void clientCertificateFromAnotherCa_failsTheHandshake() throws Exception {
    KeyPair otherKeys = KeyType.EC_P256.generate(0);
    X509Certificate otherRoot = Certificates.selfSignedRoot(otherKeys, "evil", Instant.now(), Duration.ofDays(1));
    KeyPair keys = TestPki.ec();
    X509Certificate forged = Certificates.leaf(new Certificates.LeafSpec(keys.getPublic(), List.of(SLEEP), false,
        Instant.now(), Duration.ofHours(1)), otherRoot, otherKeys.getPrivate());
    IssuedCertificate cert = new IssuedCertificate(keys.getPrivate(), List.of(forged), List.of(otherRoot));

    assertThatThrownBy(() -> client(null, cert, new RecordingTrust(List.of(root)))
        .createCertificate(request(TestPki.ec(), SLEEP, 0)))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  @Test
  void servingCertificate_hasIstiodsDnsNames_andAlpnH2() throws Exception {
    RecordingTrust trust = new RecordingTrust(List.of(root));
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, new X509TrustManager[] {trust}, null);
    try (SSLSocket socket = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", server.getPort())) {
      var params = socket.getSSLParameters();
      params.setApplicationProtocols(new String[] {"h2"});
      params.setProtocols(new String[] {"TLSv1.2"});
      socket.setSSLParameters(params);
      socket.startHandshake();
      assertThat(socket.getApplicationProtocol()).isEqualTo("h2");
    }
    X509Certificate served = trust.lastServerChain.get()[0];
    assertThat(SubjectAltNames.dnsNames(served)).containsExactly("istio-pilot.istio-system.svc",
        "istiod-remote.istio-system.svc", "istiod.istio-system.svc");
    assertThat(served.getNotAfter()).isEqualTo(root.getNotAfter());
  }

  @Test
  void servingCertificate_isReissuedWhenTheRootChanges_andNewConnectionsGetIt() throws Exception {
    client("sleep-token").createCertificate(request(TestPki.ec(), SLEEP, 0));
    X509Certificate before = serving.get().leaf();
    X509Certificate newRoot = Certificates.reissueRoot(root, rootKeys, "cluster.local", Instant.now(),
        Duration.ofDays(3650));

    ca.replaceBundle(KeyCertBundle.verified(newRoot, rootKeys.getPrivate(), List.of(), List.of(root, newRoot),
        Instant.now()));
    await().atMost(Duration.ofSeconds(20)).until(() -> !serving.get().leaf().equals(before));

    RecordingTrust trust = new RecordingTrust(List.of(newRoot));
    IstioCertificateResponse response = client("sleep-token", null, trust)
        .createCertificate(request(TestPki.ec(), SLEEP, 0));
    assertThat(trust.lastServerChain.get()[0]).isEqualTo(serving.get().leaf()).isNotEqualTo(before);
    assertThat(response.getCertChainList()).hasSize(3);
    assertThat(Pem.parseCertificate(response.getCertChain(2))).as("current root last").isEqualTo(newRoot);
    assertThat(Pem.parseCertificate(response.getCertChain(1))).isEqualTo(root);
  }

  private double counter(String name) {
    for (MetricSnapshot s : registry.scrape()) {
      if (s.getMetadata().getPrometheusName().equals(name) && s instanceof CounterSnapshot c) {
        return c.getDataPoints().stream().mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue).sum();
      }
    }
    throw new AssertionError("no counter " + name);
  }

  /** Trusts the given roots (PKIX) and remembers the server's chain. */
  private static final class RecordingTrust implements X509TrustManager {
    final AtomicReference<X509Certificate[]> lastServerChain = new AtomicReference<>();
    private final X509TrustManager delegate;

    RecordingTrust(List<X509Certificate> roots) throws Exception {
      delegate = new dev.istiod.ca.tls.MeshRootsTrustManager(() -> roots);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("client side only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      lastServerChain.set(chain);
      delegate.checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return delegate.getAcceptedIssuers();
    }
  }
}
