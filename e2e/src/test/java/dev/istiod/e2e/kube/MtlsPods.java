package dev.istiod.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A client and a server Pod in one namespace, each with a real pilot-agent sidecar ({@link PilotAgentPod}), as
 * the mTLS tests use them. The sidecars run without traffic capture: the client reaches the {@code server}
 * Service through a Sidecar egress listener on 127.0.0.1:{@link #PORT}; the server's sidecar listens on its
 * Pod IP:{@link #PORT} through a Sidecar ingress listener ({@code captureMode: NONE}) in front of the
 * application on Pod IP:{@link #APP_PORT}. Pod IPs are reachable from every test host
 * ({@link TestHost#routeToOtherHosts}), as in a cluster.
 */
final class MtlsPods {
  /** The Service port: the client's egress listener, and the server sidecar's ingress listener on the Pod IP. */
  static final int PORT = 9080;
  /** Where the server application listens (its Pod IP), behind its sidecar. */
  static final int APP_PORT = 8080;
  static final String XFCC = "x-forwarded-client-cert";
  static final String TLS_MODE_LABEL = "security.istio.io/tlsMode";
  private static final Duration CALL_BOUND = Duration.ofSeconds(15);

  private MtlsPods() {}

  /** Service accounts client and server, the server's Service, and both Sidecars, in {@code namespace}. */
  static void install(PilotAgentMesh mesh, String namespace) {
    mesh.serviceAccount(namespace, "client");
    mesh.serviceAccount(namespace, "server");
    mesh.cluster().apply(KubeYaml.service("server", namespace, "server", PORT) + "---\n" + sidecars(namespace));
  }

  /**
   * A Pod for {@code workload} (labels app=&lt;service account&gt; and tlsMode istio) on a test host of its own,
   * with a Node to run on, reported running at the host's address before its sidecar starts (so istiod matches
   * the proxy to it); {@code app} starts the application in the host first.
   */
  static PilotAgentPod startPod(PilotAgentMesh mesh, PilotAgentProcess.Workload workload,
      Map<String, String> agentEnv, Path workDir, Consumer<TestHost> app) {
    KubeCluster cluster = mesh.cluster();
    return mesh.startPod(workload, mesh.token(workload.namespace(), workload.serviceAccount()), agentEnv, workDir,
        host -> {
          host.routeToOtherHosts();
          app.accept(host);
          cluster.apply(KubeYaml.node(host.name()) + "---\n" + KubeYaml.pod(workload.pod(), workload.namespace(),
              host.name(), Map.of("app", workload.serviceAccount(), TLS_MODE_LABEL, "istio"),
              workload.serviceAccount(), PORT));
          cluster.kubectl("patch", "pod", workload.pod(), "-n", workload.namespace(), "--subresource=status",
              "--type=merge", "-p", KubeYaml.runningStatus(host.address()));
        });
  }

  /** A request for the server's Service through the client's sidecar (its egress listener on 127.0.0.1). */
  static Command.Result meshCall(PilotAgentPod clientPod, String namespace) {
    return clientPod.host().exec(List.of("curl", "-sS", "--max-time", "5",
        "-H", "Host: " + KubeYaml.host("server", namespace), "http://127.0.0.1:" + PORT + "/"), CALL_BOUND);
  }

  /** Retries {@link #meshCall} until the server's application answers it; returns what the application saw. */
  static EchoServer.Request awaitMeshCall(PilotAgentPod clientPod, String namespace, EchoServer app) {
    app.clearRequests();
    await("the client's call reaches the server's application").atMost(PilotAgentMesh.CONVERGENCE_BOUND)
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> {
          Command.Result result = meshCall(clientPod, namespace);
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
   * services on 127.0.0.1. Upstream validation wants an egress listener in every Sidecar.
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
