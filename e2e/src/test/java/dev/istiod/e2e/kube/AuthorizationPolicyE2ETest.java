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
 * AuthorizationPolicy enforced by the server's stock Envoy sidecar (its RBAC filter), between the two mTLS
 * Pods of {@link MtlsPods} (real pilot-agents, certificates from istiod's CA): a DENY of the client's
 * identity turns its calls into 403 "RBAC: access denied" that never reach the application; an ALLOW of
 * another identity denies the client too; an ALLOW of the client for GET /allowed lets exactly that through
 * (not POST, not other paths, not a plaintext caller without identity); deleting the policy opens the server
 * again; a DENY in dry run (istio.io/dry-run) denies nothing; on a TCP port the network RBAC filter closes a
 * denied caller's connections. Policies are applied
 * with kubectl and reach the sidecar over xDS.
 */
@Tag("e2e")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class AuthorizationPolicyE2ETest {
  @RegisterExtension
  static final KubeCluster cluster = KubeCluster.perClass();

  static final String NAMESPACE = "authz";
  static final String POLICY = "server-policy";
  static final String DENIED_BODY = "RBAC: access denied";
  private static final Duration CALL_BOUND = Duration.ofSeconds(15);
  /** A TCP port of the server's sidecar, relaying to the same application (see {@link #serverSidecarWithTcpPort}). */
  static final int TCP_PORT = 9091;

  private static PilotAgentMesh mesh;

  @BeforeAll
  static void startIstiod() {
    Path dir = KubeTools.outputDir().resolve(AuthorizationPolicyE2ETest.class.getSimpleName()).resolve("istiod");
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
  void policies_denyAndAllowByPrincipalMethodAndPath_atTheServersSidecar(TestInfo info) {
    Path workDir = KubeTools.workDir(info);
    var client = new PilotAgentProcess.Workload("client-1", NAMESPACE, "client");
    var server = new PilotAgentProcess.Workload("server-1", NAMESPACE, "server");
    String clientPrincipal = client.spiffeId().substring("spiffe://".length());
    EchoServer[] app = new EchoServer[1];
    try (TestHost plain = TestHost.create();
        PilotAgentPod serverPod = MtlsPods.startPod(mesh, server, Map.of(), workDir,
            host -> app[0] = host.serve("server-app", host.address(), MtlsPods.APP_PORT, workDir));
        PilotAgentPod clientPod = MtlsPods.startPod(mesh, client, Map.of(), workDir, host -> { })) {
      plain.routeToOtherHosts();
      serverPod.agent().awaitReady();
      clientPod.agent().awaitReady();
      MtlsPods.awaitMeshCall(clientPod, NAMESPACE, app[0]); // no policy: the client gets through

      // DENY the client's identity: 403 from the server's sidecar, and the application sees nothing.
      cluster.apply(policy("DENY", """
            - from:
              - source:
                  principals: ["%s"]
          """.formatted(clientPrincipal)));
      awaitStatus(clientPod, "GET", "/", 403, "DENY of the client's principal");
      app[0].clearRequests();
      Command.Result denied = call(clientPod, "GET", "/");
      assertThat(denied.stdout()).as(denied.describe()).startsWith(DENIED_BODY).endsWith(" 403");
      assertThat(app[0].requests()).as("requests the server's application saw while denied").isEmpty();

      // ALLOW only another identity: the client is denied as well.
      cluster.apply(policy("ALLOW", """
            - from:
              - source:
                  principals: ["cluster.local/ns/%s/sa/someone-else"]
          """.formatted(NAMESPACE)));
      awaitStatus(clientPod, "GET", "/", 403, "ALLOW of another principal");
      assertThat(app[0].requests()).as("requests the server's application saw while denied").isEmpty();

      // ALLOW the client for GET /allowed only.
      cluster.apply(policy("ALLOW", """
            - from:
              - source:
                  principals: ["%s"]
              to:
              - operation:
                  methods: ["GET"]
                  paths: ["/allowed"]
          """.formatted(clientPrincipal)));
      awaitStatus(clientPod, "GET", "/allowed", 200, "ALLOW of the client for GET /allowed");
      assertThat(app[0].requests()).as("what the server's application saw").isNotEmpty()
          .allSatisfy(r -> assertThat(r.method() + " " + r.path()).isEqualTo("GET /allowed"));
      app[0].clearRequests();
      assertThat(call(clientPod, "POST", "/allowed").stdout()).as("POST /allowed").endsWith(" 403");
      assertThat(call(clientPod, "GET", "/other").stdout()).as("GET /other").endsWith(" 403");
      // A caller without a sidecar has no peer identity, so no principal matches.
      Command.Result plainCall = MtlsPods.plainCall(plain, serverPod.agent().ip());
      assertThat(plainCall.stdout()).as("plaintext caller under an ALLOW by principal: " + plainCall.describe())
          .isEqualTo("403");
      assertThat(app[0].requests()).as("requests the server's application saw that the policy denies").isEmpty();

      // No policy: everything gets through again.
      cluster.kubectl("delete", "authorizationpolicy", POLICY, "-n", NAMESPACE).orFail();
      awaitStatus(clientPod, "POST", "/other", 200, "no policy");

      // A DENY of the client in dry run (istio.io/dry-run): once the server's Envoy holds it (as shadow rules),
      // the client still gets through.
      cluster.apply(policy("DENY", """
            - from:
              - source:
                  principals: ["%s"]
          """.formatted(clientPrincipal)).replace("  namespace: " + NAMESPACE + "\n",
          "  namespace: " + NAMESPACE + "\n  annotations:\n    istio.io/dry-run: \"true\"\n"));
      await("the server's Envoy holds the dry-run DENY").atMost(PilotAgentMesh.CONVERGENCE_BOUND)
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(() -> assertThat(serverPod.agent().envoyAdmin("/config_dump"))
              .contains("istio_dry_run_deny_"));
      assertThat(call(clientPod, "GET", "/").stdout()).as("GET / under a dry-run DENY of the client").endsWith(" 200");
      cluster.kubectl("delete", "authorizationpolicy", POLICY, "-n", NAMESPACE).orFail();

      for (PilotAgentPod pod : List.of(serverPod, clientPod)) {
        assertThat(pod.agent().envoyStats("update_rejected$")).as("update_rejected of " + pod.agent().workload())
            .allSatisfy((name, value) -> assertThat(value).as(name).isZero());
      }
      assertThat(mesh.metric("pilot_total_xds_rejects", Map.of())).as("NACKs recorded by istiod").isZero();
    }
  }

  /**
   * The network RBAC filter before tcp_proxy: a DENY of one caller's address on the server's TCP port closes
   * that caller's connections there (and only there: its HTTP port still answers), and deleting it opens the
   * port again.
   */
  @Test
  void denyByIpBlock_onATcpPort_closesTheCallersConnections(TestInfo info) {
    Path workDir = KubeTools.workDir(info);
    var server = new PilotAgentProcess.Workload("server-tcp", NAMESPACE, "server");
    EchoServer[] app = new EchoServer[1];
    cluster.apply(serverSidecarWithTcpPort());
    try (TestHost plain = TestHost.create();
        PilotAgentPod serverPod = MtlsPods.startPod(mesh, server, Map.of(), workDir,
            host -> app[0] = host.serve("server-app", host.address(), MtlsPods.APP_PORT, workDir))) {
      plain.routeToOtherHosts();
      serverPod.agent().awaitReady();
      String serverIp = serverPod.agent().ip();
      await("the server's TCP port relays to the application").atMost(PilotAgentMesh.CONVERGENCE_BOUND)
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(() -> assertThat(plainTcpCall(plain, serverIp).stdout()).isEqualTo("200"));

      cluster.apply("""
          apiVersion: security.istio.io/v1
          kind: AuthorizationPolicy
          metadata:
            name: deny-tcp
            namespace: %s
          spec:
            selector:
              matchLabels:
                app: server
            action: DENY
            rules:
            - from:
              - source:
                  ipBlocks: ["%s/32"]
              to:
              - operation:
                  ports: ["%d"]
          """.formatted(NAMESPACE, plain.address(), TCP_PORT));
      await("connections to the TCP port closed by the DENY").atMost(PilotAgentMesh.CONVERGENCE_BOUND)
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(() -> {
            Command.Result r = plainTcpCall(plain, serverIp);
            assertThat(r.ok()).as("TCP call under the DENY: " + r.describe()).isFalse();
            assertThat(r.stdout()).as("HTTP status over the denied TCP port").isEqualTo("000");
          });
      app[0].clearRequests();
      assertThat(plainTcpCall(plain, serverIp).stdout()).as("TCP call under the DENY").isEqualTo("000");
      assertThat(app[0].requests()).as("requests the application saw over the denied port").isEmpty();
      assertThat(MtlsPods.plainCall(plain, serverIp).stdout()).as("the HTTP port, which the DENY does not name")
          .isEqualTo("200");

      cluster.kubectl("delete", "authorizationpolicy", "deny-tcp", "-n", NAMESPACE).orFail();
      await("the TCP port open again").atMost(PilotAgentMesh.CONVERGENCE_BOUND)
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(() -> assertThat(plainTcpCall(plain, serverIp).stdout()).isEqualTo("200"));
      assertThat(serverPod.agent().envoyStats("update_rejected$")).as("update_rejected of the server's sidecar")
          .allSatisfy((name, value) -> assertThat(value).as(name).isZero());
    } finally {
      cluster.apply(MtlsPods.sidecars(NAMESPACE));
    }
  }

  /** The server's Sidecar of {@link MtlsPods} plus a TCP ingress port in front of the same application. */
  private static String serverSidecarWithTcpPort() {
    String tcpPort = """
          ingress:
          - port:
              number: %d
              protocol: TCP
              name: tcp
            defaultEndpoint: 0.0.0.0:%d
            captureMode: NONE
        """.formatted(TCP_PORT, MtlsPods.APP_PORT);
    String sidecars = MtlsPods.sidecars(NAMESPACE);
    String server = sidecars.substring(0, sidecars.indexOf("---"));
    return server.replaceFirst("  ingress:\n", java.util.regex.Matcher.quoteReplacement(tcpPort));
  }

  /** A plaintext HTTP request from a host without a sidecar over the server sidecar's TCP port; stdout: status. */
  private static Command.Result plainTcpCall(TestHost from, String serverIp) {
    return from.exec(List.of("curl", "-sS", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}",
        "http://" + serverIp + ":" + TCP_PORT + "/"), CALL_BOUND);
  }

  private static String policy(String action, String rules) {
    return """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: %s
          namespace: %s
        spec:
          selector:
            matchLabels:
              app: server
          action: %s
          rules:
        %s""".formatted(POLICY, NAMESPACE, action, rules);
  }

  /** A request through the client's sidecar; stdout: the response body, a space, and the HTTP status. */
  private static Command.Result call(PilotAgentPod clientPod, String method, String path) {
    return clientPod.host().exec(List.of("curl", "-sS", "--max-time", "5", "-X", method, "-w", " %{http_code}",
        "-H", "Host: " + KubeYaml.host("server", NAMESPACE), "http://127.0.0.1:" + MtlsPods.PORT + path), CALL_BOUND);
  }

  private static void awaitStatus(PilotAgentPod clientPod, String method, String path, int status, String why) {
    await(method + " " + path + " answers " + status + " (" + why + ")").atMost(PilotAgentMesh.CONVERGENCE_BOUND)
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> {
          Command.Result r = call(clientPod, method, path);
          assertThat(r.stdout()).as(r.describe()).endsWith(" " + status);
        });
  }
}
