package dev.istiod.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.istiod.e2e.AdsMode;
import dev.istiod.e2e.EnvoyProcess;
import dev.istiod.e2e.IstiodProcess;
import dev.istiod.e2e.SidecarNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two istiod replicas against one real kube-apiserver, as a Deployment with {@code replicas: 2} runs them: both
 * serve xDS to a real Envoy, exactly one holds the {@code istio-namespace-controller-election} Lease and publishes
 * {@code istio-ca-root-cert}, and when that one is killed with SIGKILL (no chance to release the Lease) the other
 * takes the Lease over once it expires and publishes to namespaces made meanwhile and afterwards. A leader that
 * shuts down cleanly releases the Lease.
 */
@Tag("e2e")
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class LeaderElectionE2ETest {
  @RegisterExtension
  static final KubeCluster cluster = KubeCluster.perClassWithoutControllerManager();

  private static final String NS = "istio-system";
  private static final String LEASE = "istio-namespace-controller-election";
  private static final String ROOT_CONFIG_MAP = "istio-ca-root-cert";
  // Short, so the failover is quick; renew deadline ttl/2 leaves a busy machine a few seconds per renewal.
  private static final Duration TTL = Duration.ofSeconds(10);
  // The survivor waits for the dead leader's lease to expire (ttl after its last renewal), then tries every
  // ttl/4 plus up to 120% jitter; four lease durations leave room for a busy machine.
  private static final Duration TAKEOVER_BOUND = TTL.multipliedBy(4);
  private static final Duration CONVERGENCE_BOUND = Duration.ofSeconds(60);

  @Test
  void twoReplicas_oneLeadsTheRootCertPublisher_bothServeXds_andTheOtherTakesOverWhenTheLeaderIsKilled(
      TestInfo info) throws Exception {
    Path workDir = KubeTools.workDir(info);
    cluster.installIstioCrds();
    cluster.apply(KubeYaml.namespace(NS));
    try (IstiodProcess a = startIstiod("istiod-a", workDir);
        IstiodProcess b = startIstiod("istiod-b", workDir)) {
      Map<String, IstiodProcess> replicas = Map.of("istiod-a", a, "istiod-b", b);
      String leaderName = await("a holder of Lease " + LEASE).atMost(TAKEOVER_BOUND)
          .until(LeaderElectionE2ETest::leaseHolder, replicas::containsKey);
      String survivorName = leaderName.equals("istiod-a") ? "istiod-b" : "istiod-a";
      IstiodProcess leader = replicas.get(leaderName);
      IstiodProcess survivor = replicas.get(survivorName);

      // Both replicas serve xDS: a real Envoy takes its whole config from each.
      try (EnvoyProcess fromA = EnvoyProcess.startSidecar(Files.createDirectories(workDir.resolve("envoy-a")),
              SidecarNode.client(), AdsMode.SOTW, a.grpcPort());
          EnvoyProcess fromB = EnvoyProcess.startSidecar(Files.createDirectories(workDir.resolve("envoy-b")),
              SidecarNode.client(), AdsMode.SOTW, b.grpcPort())) {
        for (EnvoyProcess envoy : List.of(fromA, fromB)) {
          assertThat(envoy.stats("cluster_manager.cds.update_success")).as("CDS updates accepted by " + envoy)
              .allSatisfy((name, value) -> assertThat(value).as(name).isPositive()).isNotEmpty();
          assertThat(envoy.stats("listener_manager.lds.update_success")).as("LDS updates accepted by " + envoy)
              .allSatisfy((name, value) -> assertThat(value).as(name).isPositive()).isNotEmpty();
          assertThat(envoy.stats("update_rejected$")).as("rejected updates of " + envoy)
              .allSatisfy((name, value) -> assertThat(value).as(name).isZero());
        }
      }

      // The singleton work: only the leader writes root-cert ConfigMaps.
      String root = awaitRootCert("default");
      cluster.apply(KubeYaml.namespace("before-failover"));
      assertThat(awaitRootCert("before-failover")).isEqualTo(root);
      assertThat(leader.log()).contains("created ConfigMap before-failover/" + ROOT_CONFIG_MAP);
      assertThat(survivor.log()).as("the replica that does not hold the Lease writes no ConfigMap")
          .doesNotContain("created ConfigMap").doesNotContain("updated ConfigMap");
      // Every replica keeps the injector's caBundle patched (upstream does not elect that controller).
      cluster.apply(injectorWebhook("injector-before"));
      assertThat(awaitCaBundle("injector-before")).isEqualTo(root);

      // SIGKILL: the leader cannot release its Lease; the survivor must wait for it to expire.
      ProcessHandle.of(leader.pid()).ifPresent(ProcessHandle::destroyForcibly);
      await("the killed leader exits").atMost(Duration.ofSeconds(30)).until(() -> !leader.isAlive());
      // Made while nobody leads: the new leader must catch up on it, not only on what comes later.
      cluster.apply(KubeYaml.namespace("during-failover"));
      await("Lease " + LEASE + " held by " + survivorName).atMost(TAKEOVER_BOUND)
          .until(LeaderElectionE2ETest::leaseHolder, survivorName::equals);

      cluster.apply(KubeYaml.namespace("after-failover"));
      for (String namespace : List.of("during-failover", "after-failover")) {
        assertThat(awaitRootCert(namespace)).isEqualTo(root);
        assertThat(survivor.log()).contains("created ConfigMap " + namespace + "/" + ROOT_CONFIG_MAP);
      }
      cluster.apply(injectorWebhook("injector-after"));
      assertThat(awaitCaBundle("injector-after")).isEqualTo(root);
      assertThat(survivor.ready()).as("the survivor still serves").isTrue();

      // A clean shutdown (SIGTERM) gives the Lease up at once, so a new replica need not wait for it to expire.
      survivor.stop();
      assertThat(leaseHolder()).as("holder of Lease " + LEASE + " after the leader shut down").isEmpty();
    }
  }

  private static IstiodProcess startIstiod(String podName, Path workDir) throws IOException {
    Path dir = Files.createDirectories(workDir.resolve(podName));
    Path configDir = Files.createDirectories(dir.resolve("config"));
    Map<String, String> env = new HashMap<>(cluster.clientEnv());
    env.putAll(Map.of("POD_NAME", podName, "POD_NAMESPACE", NS, "REVISION", "default",
        "ISTIOD_LEADER_ELECTION_TTL", TTL.toSeconds() + "s", "ISTIOD_LOCAL_CA_DIR", dir.resolve("unused-ca").toString()));
    return IstiodProcess.start(configDir, dir, env);
  }

  private static String leaseHolder() {
    Command.Result result = cluster.tryKubectl("get", "lease", LEASE, "-n", NS, "-o",
        "jsonpath={.spec.holderIdentity}");
    return result.ok() ? result.stdout().strip() : "";
  }

  private static String awaitRootCert(String namespace) {
    return await("ConfigMap " + namespace + "/" + ROOT_CONFIG_MAP).atMost(CONVERGENCE_BOUND)
        .pollInterval(Duration.ofMillis(500))
        .until(() -> {
          Command.Result result = cluster.tryKubectl("get", "configmap", ROOT_CONFIG_MAP, "-n", namespace,
              "-o", "jsonpath={.data.root-cert\\.pem}");
          return result.ok() ? result.stdout() : "";
        }, pem -> pem.contains("BEGIN CERTIFICATE"));
  }

  /** The PEM in the first webhook's caBundle of a MutatingWebhookConfiguration, once it is set. */
  private static String awaitCaBundle(String name) {
    String base64 = await("caBundle of MutatingWebhookConfiguration " + name).atMost(CONVERGENCE_BOUND)
        .pollInterval(Duration.ofMillis(500))
        .until(() -> {
          Command.Result result = cluster.tryKubectl("get", "mutatingwebhookconfiguration", name, "-o",
              "jsonpath={.webhooks[0].clientConfig.caBundle}");
          return result.ok() ? result.stdout().strip() : "";
        }, value -> !value.isEmpty());
    return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
  }

  /**
   * An injector webhook configuration of revision default with no caBundle, as the chart installs it; its
   * namespaceSelector matches nothing, so the API server never calls the unreachable URL.
   */
  private static String injectorWebhook(String name) {
    return """
        apiVersion: admissionregistration.k8s.io/v1
        kind: MutatingWebhookConfiguration
        metadata:
          name: %s
          labels:
            istio.io/rev: default
        webhooks:
        - name: rev.namespace.sidecar-injector.istio.io
          clientConfig:
            url: https://127.0.0.1:1/inject
          rules:
          - operations: [CREATE]
            apiGroups: [""]
            apiVersions: [v1]
            resources: [pods]
          namespaceSelector:
            matchLabels:
              never-matches: "true"
          sideEffects: None
          admissionReviewVersions: [v1]
          failurePolicy: Ignore
        """.formatted(name);
  }
}
