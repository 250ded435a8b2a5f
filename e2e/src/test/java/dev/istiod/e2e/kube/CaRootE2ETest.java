package dev.istiod.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The mesh's self-signed root as a cluster keeps it: in the {@code istio-ca-secret} Secret of istiod's
 * namespace. A restarted istiod and a second istiod on the same cluster serve the root that is there, and a
 * root rotated by istiod (short-lived here through the CITADEL_* knobs) reaches the istio-ca-root-cert
 * ConfigMaps and the workloads' certificates while mTLS between two real pilot-agent sidecars keeps working.
 * Each test starts from a cluster without the Secret, so istiod creates a root of its own.
 */
@Tag("e2e")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class CaRootE2ETest {
  @RegisterExtension
  static final KubeCluster cluster = KubeCluster.perClass();

  static final String CA_SECRET = "istio-ca-secret";
  /**
   * A root that lives 150 s and is renewed once less than 60% of that is left: about 60 s after istiod
   * created it (time enough for both sidecars to start and get certificates under it on a busy machine),
   * checked every 2 s (no start jitter). Workload certificates end with the root (their NotAfter is clamped to
   * it), so sidecars that got one some 10 s after istiod started renew it at half its life, about 80 s in:
   * after the rotation, and well before the new root is due in turn (about 150 s in).
   */
  static final Map<String, String> SHORT_LIVED_ROOT = Map.of(
      "CITADEL_SELF_SIGNED_CA_CERT_TTL", "150s",
      "CITADEL_SELF_SIGNED_ROOT_CERT_GRACE_PERIOD_PERCENTILE", "60",
      "CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL", "2s",
      "CITADEL_ENABLE_JITTER_FOR_ROOT_CERT_ROTATOR", "false");
  /** Longer than the wait for the rotation and for the sidecars' renewals after it (see SHORT_LIVED_ROOT). */
  static final Duration ROTATION_BOUND = Duration.ofSeconds(90);

  @BeforeEach
  void withoutARoot() {
    cluster.apply(KubeYaml.namespace(KubeMesh.ISTIOD_NAMESPACE));
    cluster.kubectl("delete", "secret", CA_SECRET, "-n", KubeMesh.ISTIOD_NAMESPACE, "--ignore-not-found");
  }

  @Test
  void restartedAndSecondIstiod_serveTheRootInTheClusterSecret(TestInfo info) {
    Path workDir = KubeTools.workDir(info);
    String ns = "ca-restart";
    var first = new PilotAgentProcess.Workload("sleep-1", ns, "sleep");
    var second = new PilotAgentProcess.Workload("sleep-2", ns, "sleep");
    var third = new PilotAgentProcess.Workload("sleep-3", ns, "sleep");
    X509Certificate root;
    String secretBefore;
    try (PilotAgentMesh mesh = PilotAgentMesh.start(cluster, workDir.resolve("istiod-1"))) {
      mesh.serviceAccount(ns, "sleep");
      secretBefore = secretData();
      root = secretRoot();
      assertThat(PilotAgentProcess.parseChain(mesh.awaitRootCert(ns).getBytes(StandardCharsets.UTF_8)))
          .as("istio-ca-root-cert of " + ns).containsExactly(root);
      try (PilotAgentPod pod = mesh.startPod(first, mesh.token(ns, "sleep"), workDir)) {
        assertThat(pod.agent().awaitIssuedChain().getLast()).as("root of the chain istiod issued").isEqualTo(root);
      }

      // A second istiod (a replica) on the same cluster, while the first still runs.
      try (PilotAgentMesh replica = PilotAgentMesh.start(cluster, workDir.resolve("istiod-2"));
          PilotAgentPod pod = replica.startPod(second, replica.token(ns, "sleep"), workDir)) {
        assertThat(pod.agent().awaitIssuedChain().getLast()).as("root of the chain the second istiod issued")
            .isEqualTo(root);
        // The agent checked the replica's serving certificate against the root of istio-ca-root-cert.
        pod.agent().awaitReady();
        assertThat(replica.istiod().log()).as("the second istiod's log").contains("loaded the self-signed root")
            .doesNotContain("created the self-signed root");
      }
    }
    assertThat(secretData()).as(CA_SECRET + " after the replica ran").isEqualTo(secretBefore);

    // The first istiod again, restarted on the same cluster.
    try (PilotAgentMesh restarted = PilotAgentMesh.start(cluster, workDir.resolve("istiod-1-restarted"));
        PilotAgentPod pod = restarted.startPod(third, restarted.token(ns, "sleep"), workDir)) {
      assertThat(pod.agent().awaitIssuedChain().getLast()).as("root of the chain the restarted istiod issued")
          .isEqualTo(root);
      pod.agent().awaitReady();
      assertThat(secretData()).as(CA_SECRET + " after the restart").isEqualTo(secretBefore);
      assertThat(PilotAgentProcess.parseChain(restarted.awaitRootCert(ns).getBytes(StandardCharsets.UTF_8)))
          .as("istio-ca-root-cert of " + ns + " after the restart").containsExactly(root);
    }
  }

  @Test
  void rootRotation_reachesConfigMapsAndWorkloads_whileMtlsKeepsFlowing(TestInfo info) throws Exception {
    Path workDir = KubeTools.workDir(info);
    String ns = "ca-rotation";
    var client = new PilotAgentProcess.Workload("client-1", ns, "client");
    var server = new PilotAgentProcess.Workload("server-1", ns, "server");
    EchoServer[] app = new EchoServer[1];
    try (PilotAgentMesh mesh = PilotAgentMesh.start(cluster, workDir.resolve("istiod"), SHORT_LIVED_ROOT)) {
      X509Certificate oldRoot = secretRoot();
      MtlsPods.install(mesh, ns);
      // One request per upstream connection, so every request is a TLS handshake with the certificates the
      // sidecars hold at that moment (x-forwarded-client-cert's Hash says which client certificate).
      cluster.apply(oneRequestPerConnection(ns));
      try (PilotAgentPod serverPod = MtlsPods.startPod(mesh, server, Map.of(), workDir,
              host -> app[0] = host.serve("server-app", host.address(), MtlsPods.APP_PORT, workDir));
          PilotAgentPod clientPod = MtlsPods.startPod(mesh, client, Map.of(), workDir, host -> { })) {
        serverPod.agent().awaitReady();
        clientPod.agent().awaitReady();
        assertThat(clientPod.agent().awaitIssuedChain().getLast()).as("the client's root before rotation")
            .isEqualTo(oldRoot);
        MtlsPods.awaitMeshCall(clientPod, ns, app[0]);

        try (Traffic traffic = Traffic.start(clientPod, ns)) {
          X509Certificate newRoot = await("istiod rotates the root in " + CA_SECRET).atMost(ROTATION_BOUND)
              .pollInterval(Duration.ofSeconds(1))
              .until(CaRootE2ETest::secretRoot, r -> !r.equals(oldRoot));
          assertThat(newRoot.getPublicKey()).as("the new root keeps the old root's key")
              .isEqualTo(oldRoot.getPublicKey());
          assertThat(newRoot.getSubjectX500Principal()).as("and its subject")
              .isEqualTo(oldRoot.getSubjectX500Principal());
          assertThat(newRoot.getNotAfter()).as("and lives longer").isAfter(oldRoot.getNotAfter());

          // Only the new root is asserted: upstream's rotator publishes the new root (plus ROOT_CA_DIR's extra
          // roots), this istiod also keeps the old one until it expires; with the key unchanged, either verifies
          // the same certificates.
          await("istio-ca-root-cert of " + ns + " carries the new root").atMost(PilotAgentMesh.CONVERGENCE_BOUND)
              .pollInterval(Duration.ofMillis(500))
              .untilAsserted(() -> assertThat(configMapRoots(ns)).contains(newRoot));

          for (PilotAgentPod pod : List.of(clientPod, serverPod)) {
            await(pod.agent().workload() + " renews its certificate under the new root").atMost(ROTATION_BOUND)
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> assertThat(pod.agent().issuedChain()).hasValueSatisfying(
                    chain -> assertThat(chain.getLast()).isEqualTo(newRoot)));
          }
          X509Certificate clientLeaf = clientPod.agent().awaitIssuedChain().getFirst();
          clientLeaf.verify(newRoot.getPublicKey());
          String clientLeafHash = sha256Hex(clientLeaf);
          await("the server's sidecar accepts the client's new certificate").atMost(PilotAgentMesh.CONVERGENCE_BOUND)
              .pollInterval(Duration.ofMillis(500))
              .untilAsserted(() -> assertThat(app[0].requests()).as("requests the server's application received")
                  .anySatisfy(r -> assertThat(r.headers().get(MtlsPods.XFCC))
                      .contains("Hash=" + clientLeafHash).contains("URI=" + client.spiffeId())));

          List<Traffic.Call> calls = traffic.stop();
          assertThat(calls).as("calls made through the rotation").hasSizeGreaterThan(10);
          assertThat(calls).as("failed calls from before the rotation to after both sidecars renewed")
              .filteredOn(call -> !call.ok()).isEmpty();
        }
        assertThat(mesh.metric("pilot_total_xds_rejects", Map.of())).as("NACKs recorded by istiod").isZero();
      }
    }
  }

  /** Calls from the client to the server's Service, one after another on a thread of their own, until stopped. */
  static final class Traffic implements AutoCloseable {
    record Call(long atMillis, boolean ok, String outcome) {}

    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    private Traffic(PilotAgentPod clientPod, String namespace) {
      this.thread = Thread.ofPlatform().name("mtls-traffic").daemon().start(() -> {
        while (running.get()) {
          Command.Result r = MtlsPods.meshCall(clientPod, namespace);
          boolean ok = r.ok() && r.stdout().contains("server-app");
          calls.add(new Call(System.currentTimeMillis(), ok, ok ? "" : r.describe()));
          try {
            Thread.sleep(300);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
    }

    static Traffic start(PilotAgentPod clientPod, String namespace) {
      return new Traffic(clientPod, namespace);
    }

    /** Stops after the call in flight; returns every call made. */
    List<Call> stop() throws InterruptedException {
      running.set(false);
      thread.join(Duration.ofSeconds(30));
      return new ArrayList<>(calls);
    }

    @Override
    public void close() throws InterruptedException {
      stop();
    }
  }

  static String oneRequestPerConnection(String namespace) {
    return """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: server
          namespace: %1$s
        spec:
          host: %2$s
          trafficPolicy:
            connectionPool:
              http:
                maxRequestsPerConnection: 1
        """.formatted(namespace, KubeYaml.host("server", namespace));
  }

  /** Every data key of istio-ca-secret, as kubectl prints them (base64). */
  static String secretData() {
    // istiod's CA may create the secret just after /ready (it starts on its own thread).
    return await(CA_SECRET + " exists").atMost(Duration.ofSeconds(60)).ignoreExceptions()
        .until(() -> cluster.kubectl("get", "secret", CA_SECRET, "-n", KubeMesh.ISTIOD_NAMESPACE, "-o",
            "jsonpath={.data}").stdout(), data -> !data.isBlank());
  }

  /** The signing root istiod keeps in istio-ca-secret ({@code ca-cert.pem}). */
  static X509Certificate secretRoot() {
    String base64 = await(CA_SECRET + " exists").atMost(Duration.ofSeconds(60)).ignoreExceptions()
        .until(() -> cluster.kubectl("get", "secret", CA_SECRET, "-n", KubeMesh.ISTIOD_NAMESPACE, "-o",
            "jsonpath={.data.ca-cert\\.pem}").stdout().strip(), pem -> !pem.isEmpty());
    return PilotAgentProcess.parseChain(Base64.getDecoder().decode(base64)).getFirst();
  }

  static List<X509Certificate> configMapRoots(String namespace) {
    String pem = cluster.kubectl("get", "configmap", PilotAgentMesh.ROOT_CONFIG_MAP, "-n", namespace, "-o",
        "jsonpath={.data.root-cert\\.pem}").stdout();
    return PilotAgentProcess.parseChain(pem.getBytes(StandardCharsets.UTF_8));
  }

  /** How x-forwarded-client-cert's Hash names a certificate: SHA-256 of its DER, in lower-case hex. */
  static String sha256Hex(X509Certificate certificate) throws CertificateEncodingException, NoSuchAlgorithmException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
  }
}
