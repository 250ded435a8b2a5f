package dev.istiod.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.istiod.e2e.AdsMode;
import dev.istiod.e2e.EnvoyProcess;
import dev.istiod.e2e.IstiodProcess;
import dev.istiod.e2e.SidecarNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * istioctl on istiod's plaintext port ({@code --plaintext}), which upstream allows for debug only with
 * {@code ENABLE_DEBUG_ENDPOINT_AUTH=false}: istiod on a config directory, two bare upstream Envoys connected over
 * ADS, one state-of-the-world and one delta. The cluster is only for istioctl, which will not run without an API
 * server (see {@link Istioctl}); istiod does not use it.
 */
@Tag("e2e")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class IstioctlPlaintextE2ETest {
  @RegisterExtension
  static final KubeCluster cluster = KubeCluster.perClass();

  private static final Duration CONVERGENCE_BOUND = Duration.ofSeconds(60);
  private static final List<String> ENVOY_TYPES = List.of("CDS", "LDS", "EDS", "RDS");
  /** An HTTP service with a static endpoint: the sidecars get its cluster (EDS) and its routes (RDS). */
  private static final String SERVICE_ENTRY = """
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata:
        name: httpbin
        namespace: default
      spec:
        hosts:
        - httpbin.example.com
        addresses:
        - 240.0.0.10
        ports:
        - number: 8080
          name: http
          protocol: HTTP
        resolution: STATIC
        endpoints:
        - address: 127.0.0.5
      """;

  @Test
  void withDebugAuthOff_proxyStatusAndVersion_seeBothEnvoys_synced(TestInfo info) throws IOException {
    Path work = KubeTools.workDir(info);
    Path config = Files.createDirectories(work.resolve("config"));
    Files.writeString(config.resolve("httpbin.yaml"), SERVICE_ENTRY);
    SidecarNode sotwNode = new SidecarNode("sotw-1", "default", "127.0.0.1", "1.28.0", Map.of("app", "sotw"));
    SidecarNode deltaNode = new SidecarNode("delta-1", "default", "127.0.0.1", "1.28.0", Map.of("app", "delta"));

    try (IstiodProcess istiod = IstiodProcess.start(config, work,
            Map.of("ENABLE_DEBUG_ENDPOINT_AUTH", "false", "POD_NAME", "istiod-plain-0"));
        EnvoyProcess sotw = EnvoyProcess.startSidecar(work.resolve("sotw"), sotwNode, AdsMode.SOTW, istiod.grpcPort());
        EnvoyProcess delta = EnvoyProcess.startSidecar(work.resolve("delta"), deltaNode, AdsMode.DELTA,
            istiod.grpcPort())) {
      Istioctl istioctl = Istioctl.plaintext(cluster, istiod.grpcPort(), work);

      List<Map<String, String>> rows = await("istioctl proxy-status shows both Envoys synced")
          .atMost(CONVERGENCE_BOUND)
          .until(() -> Istioctl.table(istioctl.run("proxy-status", "-v", "1").orFail().stdout()),
              table -> table.size() == 2 && table.stream()
                  .allMatch(r -> ENVOY_TYPES.stream().allMatch(t -> r.getOrDefault(t, "").startsWith("SYNCED"))));

      assertThat(rows).extracting(r -> r.get("NAME")).containsExactly(deltaNode.proxyId(), sotwNode.proxyId());
      assertThat(rows).allSatisfy(r -> assertThat(r).containsEntry("ISTIOD", "istiod-plain-0")
          .containsEntry("VERSION", "1.28.0"));

      Command.Result version = istioctl.run("x", "version").orFail();
      assertThat(version.stdout()).as(version.describe()).contains("data plane version: 1.28.0 (2 proxies)");

      // Debug pages (istio.io/debug) need a proven identity whatever ENABLE_DEBUG_ENDPOINT_AUTH says, as upstream.
      Command.Result pages = istioctl.run("x", "internal-debug", "syncz");
      assertThat(pages.ok()).as(pages.describe()).isFalse();
      assertThat(pages.stderr()).as(pages.describe()).contains("authentication required");

      Command.Result onlyOther = istioctl.run("proxy-status", "-n", "elsewhere").orFail();
      assertThat(Istioctl.table(onlyOther.stdout())).as("proxies of namespace elsewhere:\n" + onlyOther.stdout())
          .isEmpty();
    }
  }
}
