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
 * the Pod IP ({@link MtlsPods}). That is where a plaintext caller connects, as it would to a Pod whose inbound
 * traffic iptables sends to the sidecar.
 */
@Tag("e2e")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class MutualTlsE2ETest {
  @RegisterExtension
  static final KubeCluster cluster = KubeCluster.perClass();

  static final String NAMESPACE = "mtls";

  private static PilotAgentMesh mesh;

  @BeforeAll
  static void startIstiod() {
    Path dir = KubeTools.outputDir().resolve(MutualTlsE2ETest.class.getSimpleName()).resolve("istiod");
    mesh = PilotAgentMesh.start(cluster, dir);
    MtlsPods.install(mesh, NAMESPACE);
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
        PilotAgentPod serverPod = MtlsPods.startPod(mesh, server, Map.of(), workDir,
            host -> app[0] = host.serve("server-app", host.address(), MtlsPods.APP_PORT, workDir));
        PilotAgentPod clientPod = MtlsPods.startPod(mesh, client, Map.of(), workDir, host -> { })) {
      plain.routeToOtherHosts();
      serverPod.agent().awaitReady();
      clientPod.agent().awaitReady();
      String serverIp = serverPod.agent().ip();

      // The client's sidecar sends mTLS: the server's sidecar saw the client's certificate.
      EchoServer.Request viaMesh = MtlsPods.awaitMeshCall(clientPod, NAMESPACE, app[0]);
      assertThat(viaMesh.headers().get(MtlsPods.XFCC)).as(MtlsPods.XFCC + " the server's sidecar added")
          .contains("By=" + server.spiffeId())
          .contains("URI=" + client.spiffeId());

      // PERMISSIVE (the default): a caller without a sidecar gets in over plaintext, and brings no identity.
      app[0].clearRequests();
      assertThat(MtlsPods.plainCall(plain, serverIp).stdout()).as("plaintext call to the server's sidecar")
          .isEqualTo("200");
      assertThat(app[0].requests()).singleElement().satisfies(r -> assertThat(r.headers())
          .as("headers of the plaintext request").doesNotContainKey(MtlsPods.XFCC));

      // STRICT: plaintext is refused before any HTTP; mTLS still passes.
      cluster.apply(MtlsPods.peerAuthentication(NAMESPACE, "STRICT"));
      await("plaintext refused under STRICT").atMost(PilotAgentMesh.CONVERGENCE_BOUND)
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(() -> {
            Command.Result refused = MtlsPods.plainCall(plain, serverIp);
            assertThat(refused.ok()).as("plaintext call under STRICT: " + refused.describe()).isFalse();
            assertThat(refused.stdout()).as("HTTP status of the plaintext call under STRICT").isEqualTo("000");
          });
      app[0].clearRequests();
      assertThat(MtlsPods.meshCall(clientPod, NAMESPACE).stdout()).as("the client's mTLS call under STRICT")
          .contains("server-app");
      assertThat(app[0].requests()).singleElement()
          .satisfies(r -> assertThat(r.headers().get(MtlsPods.XFCC)).contains("URI=" + client.spiffeId()));

      // PERMISSIVE again: plaintext is accepted again.
      cluster.apply(MtlsPods.peerAuthentication(NAMESPACE, "PERMISSIVE"));
      await("plaintext accepted again under PERMISSIVE").atMost(PilotAgentMesh.CONVERGENCE_BOUND)
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(() -> assertThat(MtlsPods.plainCall(plain, serverIp).stdout()).isEqualTo("200"));

      for (PilotAgentPod pod : List.of(serverPod, clientPod)) {
        assertThat(pod.agent().envoyStats("update_rejected$")).as("update_rejected of " + pod.agent().workload())
            .allSatisfy((name, value) -> assertThat(value).as(name).isZero());
      }
      assertThat(mesh.metric("pilot_total_xds_rejects", Map.of())).as("NACKs recorded by istiod").isZero();
    }
  }
}
