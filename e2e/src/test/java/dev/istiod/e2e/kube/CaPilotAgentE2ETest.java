package dev.istiod.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.istiod.e2e.SynczView;
import java.nio.file.Path;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
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
 * Citadel and secure xDS proven with Istio's real pilot-agent (tools/istio/install.sh) and upstream Envoy against
 * a real kube-apiserver: each sidecar gets a token from {@code kubectl create token <sa> --audience istio-ca} and
 * the root from its namespace's {@code istio-ca-root-cert} ConfigMap, as a Pod would, and talks to istiod only on
 * its secure port (TLS, istiod's certificate checked for istiod.istio-system.svc).
 */
@Tag("e2e")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class CaPilotAgentE2ETest {
  @RegisterExtension
  static final KubeCluster cluster = KubeCluster.perClass();

  private static final String SAN_OID = "2.5.29.17";
  private static final int URI_SAN = 6;
  private static PilotAgentMesh mesh;

  @BeforeAll
  static void startIstiod() {
    Path dir = KubeTools.outputDir().resolve(CaPilotAgentE2ETest.class.getSimpleName()).resolve("istiod");
    mesh = PilotAgentMesh.start(cluster, dir);
    mesh.serviceAccount("default", "sleep");
    mesh.serviceAccount("default", "privileged");
    mesh.serviceAccount("backend", "httpbin");
  }

  @AfterAll
  static void stopIstiod() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  void twoWorkloads_eachGetItsOwnSpiffeCertificate_andTheirConfigOverSecureXds(TestInfo info) throws Exception {
    Path workDir = KubeTools.workDir(info);
    var sleep = new PilotAgentProcess.Workload("sleep-1", "default", "sleep");
    var httpbin = new PilotAgentProcess.Workload("httpbin-1", "backend", "httpbin");
    String sleepToken = mesh.token("default", "sleep");
    String httpbinToken = mesh.token("backend", "httpbin");
    X509Certificate root = PilotAgentProcess.parseChain(mesh.awaitRootCert("default").getBytes()).getFirst();
    assertThat(mesh.awaitRootCert("backend")).as("the root in a namespace made after istiod started")
        .isEqualTo(mesh.awaitRootCert("default"));

    try (PilotAgentPod sleepPod = mesh.startPod(sleep, sleepToken, workDir);
        PilotAgentPod httpbinPod = mesh.startPod(httpbin, httpbinToken, workDir)) {
      for (PilotAgentPod pod : List.of(sleepPod, httpbinPod)) {
        PilotAgentProcess agent = pod.agent();
        List<X509Certificate> chain = agent.awaitIssuedChain();
        X509Certificate leaf = chain.getFirst();
        assertThat(uriSans(leaf)).as("URI SANs of the certificate issued to " + agent.workload())
            .containsExactly(agent.workload().spiffeId());
        assertThat(leaf.getCriticalExtensionOIDs()).as("the SAN extension is critical").contains(SAN_OID);
        assertThat(chain.getLast()).as("the chain ends at the root of the istio-ca-root-cert ConfigMap")
            .isEqualTo(root);
        leaf.verify(root.getPublicKey());
        assertThat(agent.issuedRoots()).as("root-cert.pem the agent wrote").containsExactly(root);

        agent.awaitReady();
        assertThat(agent.envoyStat("cluster_manager.cds.update_success")).as("CDS updates of " + agent.workload())
            .isPositive();
        assertThat(agent.envoyStat("listener_manager.lds.update_success")).as("LDS updates of " + agent.workload())
            .isPositive();
        assertThat(agent.envoyStats("update_rejected$")).as("Envoy update_rejected stats (see " + agent.logFile() + ")")
            .isNotEmpty()
            .allSatisfy((name, value) -> assertThat(value).as(name).isZero());
        assertThat(SynczView.entryFor(mesh.istiod().syncz(), agent.workload().proxyId())).isNotNull();
      }
      assertThat(mesh.metric("citadel_server_success_cert_issuance_count", Map.of())).isGreaterThanOrEqualTo(2);
      assertThat(mesh.metric("pilot_total_xds_rejects", Map.of())).as("NACKs recorded by istiod").isZero();
      assertThat(mesh.istiod().log()).as("istiod's log never shows a token")
          .doesNotContain(sleepToken).doesNotContain(httpbinToken);
    }
  }

  @Test
  void aTokenForAnotherServiceAccount_getsNoConfig_andNoCertificateForTheClaimedAccount(TestInfo info) throws Exception {
    Path workDir = KubeTools.workDir(info);
    // The proxy claims default/privileged but holds sleep's token.
    var impostor = new PilotAgentProcess.Workload("impostor-1", "default", "privileged");
    String sleepToken = mesh.token("default", "sleep");

    try (PilotAgentPod pod = mesh.startPod(impostor, sleepToken, workDir)) {
      PilotAgentProcess agent = pod.agent();
      // The CA signs for the caller the token proves, whatever the CSR asks for.
      List<X509Certificate> chain = agent.awaitIssuedChain();
      assertThat(uriSans(chain.getFirst())).as("URI SANs of the certificate the impostor got")
          .containsExactly("spiffe://cluster.local/ns/default/sa/sleep");

      await("the agent's xDS stream refused (see " + agent.logFile() + ")")
          .atMost(PilotAgentMesh.CONVERGENCE_BOUND)
          .untilAsserted(() -> assertThat(agent.log()).contains("PermissionDenied").contains("authorization failed"));
      assertThat(agent.ready()).as("agent ready").isFalse();
      assertThat(agent.envoyStat("cluster_manager.cds.update_success")).as("CDS updates Envoy accepted").isZero();
      assertThat(agent.envoyStat("listener_manager.lds.update_success")).as("LDS updates Envoy accepted").isZero();
      assertThat(mesh.istiod().log()).as("istiod connected no proxy " + impostor.proxyId())
          .doesNotContain("node:" + impostor.proxyId() + "-");
      assertThat(mesh.istiod().log()).as("istiod warns of the refused identity")
          .contains("Unauthorized XDS").contains("with identity [spiffe://cluster.local/ns/default/sa/sleep]");
      assertThat(mesh.istiod().log()).as("istiod's log never shows a token").doesNotContain(sleepToken);
    }
  }

  @Test
  void malformedAndWrongAudienceTokens_areUnauthenticated_forTheCaAndForXds(TestInfo info) {
    Path workDir = KubeTools.workDir(info);
    var garbage = new PilotAgentProcess.Workload("garbage-1", "default", "sleep");
    var wrongAudience = new PilotAgentProcess.Workload("audience-1", "default", "sleep");
    String otherAudienceToken = mesh.token("default", "sleep", "not-istio-ca");
    double failuresBefore = mesh.metric("citadel_server_authentication_failure_count", Map.of());

    try (PilotAgentPod garbagePod = mesh.startPod(garbage, "not.a.jwt", workDir);
        PilotAgentPod audiencePod = mesh.startPod(wrongAudience, otherAudienceToken, workDir)) {
      for (PilotAgentPod pod : List.of(garbagePod, audiencePod)) {
        PilotAgentProcess agent = pod.agent();
        await("the CA and xDS refuse " + agent.workload().pod() + " (see " + agent.logFile() + ")")
            .atMost(PilotAgentMesh.CONVERGENCE_BOUND)
            .untilAsserted(() -> assertThat(unauthenticatedLines(agent.log()))
                .as("Unauthenticated errors in the agent's log")
                .anySatisfy(line -> assertThat(line).containsIgnoringCase("csr"))
                .anySatisfy(line -> assertThat(line).containsIgnoringCase("upstream")));
        assertThat(agent.issuedChain()).as("certificate issued to " + agent.workload().pod()).isEmpty();
        assertThat(agent.ready()).as("agent ready").isFalse();
        assertThat(agent.envoyStat("cluster_manager.cds.update_success")).as("CDS updates Envoy accepted").isZero();
      }
      assertThat(mesh.metric("citadel_server_authentication_failure_count", Map.of()))
          .as("citadel_server_authentication_failure_count").isGreaterThanOrEqualTo(failuresBefore + 2);
      assertThat(mesh.istiod().log()).as("istiod's log never shows a token").doesNotContain(otherAudienceToken);
    }
  }

  @Test
  void aCertificateLongerThanTheMaximumTtl_isRefusedAsInvalidArgument(TestInfo info) {
    Path workDir = KubeTools.workDir(info);
    var greedy = new PilotAgentProcess.Workload("greedy-1", "default", "sleep");
    // 100 days, past istiod's MAX_WORKLOAD_CERT_TTL default of 90 days; the agent asks for SECRET_TTL.
    try (PilotAgentPod pod = mesh.startPod(greedy, mesh.token("default", "sleep"), Map.of("SECRET_TTL", "2400h"),
        workDir)) {
      PilotAgentProcess agent = pod.agent();
      await("the CA refuses the TTL (see " + agent.logFile() + ")")
          .atMost(PilotAgentMesh.CONVERGENCE_BOUND)
          .untilAsserted(() -> assertThat(agent.log())
              .contains("code = InvalidArgument")
              .contains("is greater than the max allowed TTL"));
      assertThat(agent.issuedChain()).as("certificate issued").isEmpty();
    }
  }

  private static List<String> unauthenticatedLines(String log) {
    return log.lines().filter(line -> line.contains("Unauthenticated")).toList();
  }

  private static List<String> uriSans(X509Certificate certificate) throws CertificateParsingException {
    Collection<List<?>> names = certificate.getSubjectAlternativeNames();
    List<String> uris = new ArrayList<>();
    if (names != null) {
      for (List<?> name : names) {
        if (((Integer) name.get(0)) == URI_SAN) {
          uris.add((String) name.get(1));
        }
      }
    }
    return uris;
  }
}
