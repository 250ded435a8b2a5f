package dev.istiod.e2e.kube;

import static org.awaitility.Awaitility.await;

import dev.istiod.e2e.IstiodProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * istiod in Kubernetes mode against a {@link KubeCluster} (its {@code istio-system} namespace created first, as
 * Helm would; CRDs installed), serving xDS and the CA on its secure port, plus what a Pod's sidecar gets from
 * the cluster: a service account, a token for it from {@code kubectl create token --audience istio-ca}, and the
 * root from the {@code istio-ca-root-cert} ConfigMap of its namespace.
 */
final class PilotAgentMesh implements AutoCloseable {
  static final Duration CONVERGENCE_BOUND = Duration.ofSeconds(60);
  static final String ROOT_CONFIG_MAP = "istio-ca-root-cert";

  private final KubeCluster cluster;
  private final IstiodProcess istiod;

  private PilotAgentMesh(KubeCluster cluster, IstiodProcess istiod) {
    this.cluster = cluster;
    this.istiod = istiod;
  }

  static PilotAgentMesh start(KubeCluster cluster, Path workDir) {
    return start(cluster, workDir, Map.of());
  }

  /** Like the other start, with {@code istiodEnv} over istiod's environment (e.g. the CITADEL_* knobs). */
  static PilotAgentMesh start(KubeCluster cluster, Path workDir, Map<String, String> istiodEnv) {
    cluster.installIstioCrds();
    cluster.apply(KubeYaml.namespace("istio-system"));
    try {
      Path configDir = Files.createDirectories(workDir.resolve("config"));
      Map<String, String> env = new LinkedHashMap<>(cluster.clientEnv());
      env.putAll(istiodEnv);
      return new PilotAgentMesh(cluster, IstiodProcess.start(configDir, workDir, env));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  KubeCluster cluster() {
    return cluster;
  }

  IstiodProcess istiod() {
    return istiod;
  }

  /** Creates {@code namespace} (if missing) and service account {@code serviceAccount} in it (idempotent). */
  void serviceAccount(String namespace, String serviceAccount) {
    String yaml = KubeYaml.namespace(namespace) + "---\n" + """
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: %s
          namespace: %s
        """.formatted(serviceAccount, namespace);
    Command.Result applied = cluster.kubectlWithInput(yaml, "apply", "-f", "-");
    if (!applied.ok() && applied.stderr().contains("AlreadyExists")) {
      // The controller manager creates every new namespace's "default" account at the same moment; once it
      // exists, apply only patches it.
      applied = cluster.kubectlWithInput(yaml, "apply", "-f", "-");
    }
    applied.orFail();
  }

  /** A token for {@code namespace/serviceAccount} with audience {@code audience}, as the kubelet would mount. */
  String token(String namespace, String serviceAccount, String audience) {
    return cluster.kubectl("create", "token", serviceAccount, "-n", namespace, "--audience", audience,
        "--duration", "1h").stdout().strip();
  }

  /** A token with istiod's audience ({@code istio-ca}). */
  String token(String namespace, String serviceAccount) {
    return token(namespace, serviceAccount, "istio-ca");
  }

  /** The {@code root-cert.pem} of {@code namespace}'s {@code istio-ca-root-cert} ConfigMap, once istiod wrote it. */
  String awaitRootCert(String namespace) {
    return await("ConfigMap " + namespace + "/" + ROOT_CONFIG_MAP + " written by istiod")
        .atMost(CONVERGENCE_BOUND)
        .pollInterval(Duration.ofMillis(500))
        .until(() -> {
          Command.Result result = cluster.tryKubectl("get", "configmap", ROOT_CONFIG_MAP, "-n", namespace,
              "-o", "jsonpath={.data.root-cert\\.pem}");
          return result.ok() ? result.stdout() : "";
        }, pem -> pem.contains("BEGIN CERTIFICATE"));
  }

  /** Starts a sidecar for {@code workload} in a test host of its own, with {@code token} as its istio-token. */
  PilotAgentPod startPod(PilotAgentProcess.Workload workload, String token, Path workDir) {
    return startPod(workload, token, Map.of(), workDir);
  }

  /** Like the other startPod, with {@code extraEnv} over the agent's environment. */
  PilotAgentPod startPod(PilotAgentProcess.Workload workload, String token, Map<String, String> extraEnv,
      Path workDir) {
    return PilotAgentPod.start(workload, istiod.secureGrpcPort(), token, awaitRootCert(workload.namespace()),
        extraEnv, workDir);
  }

  /** Like the other startPod; {@code beforeAgent} prepares the Pod's host first (see {@link PilotAgentPod}). */
  PilotAgentPod startPod(PilotAgentProcess.Workload workload, String token, Map<String, String> extraEnv,
      Path workDir, Consumer<TestHost> beforeAgent) {
    return PilotAgentPod.start(workload, istiod.secureGrpcPort(), token, awaitRootCert(workload.namespace()),
        extraEnv, workDir, beforeAgent);
  }

  /** One sample sum from istiod's /metrics (0 when absent), e.g. citadel_server_success_cert_issuance_count. */
  double metric(String name, Map<String, String> labels) {
    return Metrics.sample(istiod.metrics(), name, labels);
  }

  @Override
  public void close() {
    istiod.close();
  }
}
