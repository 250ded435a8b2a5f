package dev.istiod.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Istio mutual TLS between two Pods, each with Istio's real pilot-agent and an upstream Envoy as its sidecar,
 * certificates from istiod's CA: the client calls the server's Service through its sidecar, and the server's
 * sidecar terminates mTLS and tells the application who called ({@code x-forwarded-client-cert}). A
 * PeerAuthentication set to STRICT with kubectl makes the server's sidecar refuse a plaintext caller without a
 * sidecar while the mTLS client still gets through; PERMISSIVE lets plaintext in again.
 *
 * <p>The sidecars run without traffic capture (no iptables, as VMs without it do): the client reaches the
 * Service through a Sidecar egress listener on 127.0.0.1, and the server's sidecar listens on the Pod IP
 * through a Sidecar ingress listener ({@code captureMode: NONE}) in front of the application on
 * {@code <pod IP>:}{@link #APP_PORT}. That is where a plaintext caller connects, as it would to a Pod whose
 * inbound traffic iptables sends to the sidecar.
 */
@Tag("e2e")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class MutualTlsE2ETest {
  @RegisterExtension
  static final KubeCluster cluster = KubeCluster.perClass();

  static final String NAMESPACE = "mtls";
  /** The Service port: the client's egress listener, and the server sidecar's ingress listener on the Pod IP. */
  static final int PORT = 9080;
  /** Where the server application listens (its Pod IP), behind its sidecar. */
  static final int APP_PORT = 8080;
  static final String XFCC = "x-forwarded-client-cert";
  private static final Duration CALL_BOUND = Duration.ofSeconds(15);

  private static PilotAgentMesh mesh;

  @BeforeAll
  static void startIstiod() {
    Path dir = KubeTools.outputDir().resolve(MutualTlsE2ETest.class.getSimpleName()).resolve("istiod");
    mesh = PilotAgentMesh.start(cluster, dir);
    mesh.serviceAccount(NAMESPACE, "client");
    mesh.serviceAccount(NAMESPACE, "server");
    cluster.apply(KubeYaml.service("server", NAMESPACE, "server", PORT) + "---\n" + sidecars(NAMESPACE));
  }

  @AfterAll
  static void stopIstiod() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  void clientToServer_isMutualTls_andStrictRefusesPlaintextUntilPermissiveAgain(TestInfo info) {
    Path workDir = KubeTools.workDir(info);
    var client = new PilotAgentProcess.Workload("client-1", NAMESPACE, "client");
    var server = new PilotAgentProcess.Workload("server-1", NAMESPACE, "server");
    EchoServer[] app = new EchoServer[1];
    try (TestHost plain = TestHost.create();
        PilotAgentPod serverPod = startPod(server, workDir, host -> app[0] = host.serve("server-app", host.address(),
            APP_PORT, workDir));
        PilotAgentPod clientPod = startPod(client, workDir, host -> { })) {
      plain.routeToOtherHosts();
      serverPod.agent().awaitReady();
      clientPod.agent().awaitReady();
      String serverIp = serverPod.agent().ip();

      // The client's sidecar sends mTLS: the server's sidecar saw the client's certificate.
      EchoServer.Request viaMesh = awaitMeshCall(clientPod, app[0]);
      assertThat(viaMesh.headers().get(XFCC)).as(XFCC + " the server's sidecar added")
          .contains("By=" + server.spiffeId())
          .contains("URI=" + client.spiffeId());
      // PERMISSIVE (the default): a caller without a sidecar gets in over plaintext, and brings no identity.
      app[0].clearRequests();
      assertThat(plainCall(plain, serverIp).stdout()).as("plaintext call to the server's sidecar").isEqualTo("200");
      assertThat(app[0].requests()).singleElement()
          .satisfies(r -> assertThat(r.headers()).as("headers of the plaintext request").doesNotContainKey(XFCC));

      // STRICT: plaintext is refused before any HTTP; mTLS still passes.
      cluster.apply(peerAuthentication(NAMESPACE, "STRICT"));
      await("plaintext refused under STRICT").atMost(PilotAgentMesh.CONVERGENCE_BOUND)
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(() -> {
            Command.Result refused = plainCall(plain, serverIp);
            assertThat(refused.ok()).as("plaintext call under STRICT: " + refused.describe()).isFalse();
            assertThat(refused.stdout()).as("HTTP status of the plaintext call under STRICT").isEqualTo("000");
          });
      app[0].clearRequests();
      assertThat(meshCall(clientPod).stdout()).as("the client's mTLS call under STRICT").contains("server-app");
      assertThat(app[0].requests()).singleElement()
          .satisfies(r -> assertThat(r.headers().get(XFCC)).contains("URI=" + client.spiffeId()));

      // PERMISSIVE again: plaintext is accepted again.
      cluster.apply(peerAuthentication(NAMESPACE, "PERMISSIVE"));
      await("plaintext accepted again under PERMISSIVE").atMost(PilotAgentMesh.CONVERGENCE_BOUND)
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(() -> assertThat(plainCall(plain, serverIp).stdout()).isEqualTo("200"));

      for (PilotAgentPod pod : List.of(serverPod, clientPod)) {
        assertThat(pod.agent().envoyStats("update_rejected$")).as("update_rejected of " + pod.agent().workload())
            .allSatisfy((name, value) -> assertThat(value).as(name).isZero());
      }
      assertThat(mesh.metric("pilot_total_xds_rejects", Map.of())).as("NACKs recorded by istiod").isZero();
    }
  }

  /**
   * A Pod for {@code workload} on a test host of its own, with a Node to run on, reported running at the host's
   * address before its sidecar starts (so istiod matches the proxy to it), and routed to the other hosts.
   */
  private static PilotAgentPod startPod(PilotAgentProcess.Workload workload, Path workDir,
      java.util.function.Consumer<TestHost> app) {
    return mesh.startPod(workload, mesh.token(workload.namespace(), workload.serviceAccount()), Map.of(), workDir,
        host -> {
          host.routeToOtherHosts();
          app.accept(host);
          cluster.apply(KubeYaml.node(host.name()) + "---\n" + KubeYaml.pod(workload.pod(), workload.namespace(),
              host.name(), Map.of("app", workload.serviceAccount(), "security.istio.io/tlsMode", "istio"),
              workload.serviceAccount(), PORT));
          cluster.kubectl("patch", "pod", workload.pod(), "-n", workload.namespace(), "--subresource=status",
              "--type=merge", "-p", KubeYaml.runningStatus(host.address()));
        });
  }

  /** A request for the server's Service through the client's sidecar (its egress listener on 127.0.0.1). */
  static Command.Result meshCall(PilotAgentPod clientPod) {
    return clientPod.host().exec(List.of("curl", "-sS", "--max-time", "5",
        "-H", "Host: " + KubeYaml.host("server", NAMESPACE), "http://127.0.0.1:" + PORT + "/"), CALL_BOUND);
  }

  /** Retries {@link #meshCall} until the server's application answers it; returns what the application saw. */
  static EchoServer.Request awaitMeshCall(PilotAgentPod clientPod, EchoServer app) {
    app.clearRequests();
    await("the client's call reaches the server's application").atMost(PilotAgentMesh.CONVERGENCE_BOUND)
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> {
          Command.Result result = meshCall(clientPod);
          assertThat(result.stdout()).as(result.describe()).contains(app.name());
        });
    return app.requests().getLast();
  }

  /** A plaintext request from a host without a sidecar straight to the server sidecar's listener; stdout: status. */
  static Command.Result plainCall(TestHost from, String serverIp) {
    return from.exec(List.of("curl", "-sS", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}",
        "http://" + serverIp + ":" + PORT + "/"), CALL_BOUND);
  }

  /**
   * The server's Sidecar declares its inbound port (bound on the Pod IP, in front of the application on
   * {@code 0.0.0.0:APP_PORT}, i.e. the Pod IP); the client's declares an egress listener for the namespace's
   * services on 127.0.0.1.
   */
  static String sidecars(String namespace) {
    return """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata:
          name: server
          namespace: %1$s
        spec:
          workloadSelector:
            labels:
              app: server
          ingress:
          - port:
              number: %2$d
              protocol: HTTP
              name: http
            defaultEndpoint: 0.0.0.0:%3$d
            captureMode: NONE
          egress:
          - port:
              number: %4$d
              protocol: HTTP
              name: http-egress
            bind: 127.0.0.1
            captureMode: NONE
            hosts:
            - "./*"
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata:
          name: client
          namespace: %1$s
        spec:
          workloadSelector:
            labels:
              app: client
          egress:
          - port:
              number: %2$d
              protocol: HTTP
              name: http-egress
            bind: 127.0.0.1
            captureMode: NONE
            hosts:
            - "./*"
        """.formatted(namespace, PORT, APP_PORT, PORT + 1);
  }

  static String peerAuthentication(String namespace, String mode) {
    return """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata:
          name: default
          namespace: %s
        spec:
          mtls:
            mode: %s
        """.formatted(namespace, mode);
  }
}
