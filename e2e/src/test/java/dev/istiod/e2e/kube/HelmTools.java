package dev.istiod.e2e.kube;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The helm binary (-Dhelm.bin, else $HELM_BIN, else what tools/helm/install.sh prints; it builds only on a cold
 * cache), for rendering the project's charts (deploy/charts) as a Helm user would get them. Helm's config, cache
 * and data directories are kept under the e2e output directory, away from the user's.
 */
final class HelmTools {
  /** A cold build of helm on 2 shared cores; cached afterwards. */
  static final Duration INSTALL_BOUND = Duration.ofMinutes(30);
  static final Duration COMMAND_BOUND = Duration.ofMinutes(2);

  private HelmTools() {}

  /**
   * {@code helm template <chart> deploy/charts/<chart> --namespace <namespace> [-s <template>]... [--set <v>]...}:
   * the manifests of {@code templates} (paths like {@code templates/mutatingwebhook.yaml}) with {@code values}.
   */
  static String template(String chart, String namespace, List<String> templates, Map<String, String> values) {
    List<String> command = new ArrayList<>(List.of(BinHolder.PATH.toString(), "template", chart,
        KubeTools.repoRoot().resolve("deploy/charts").resolve(chart).toString(), "--namespace", namespace));
    templates.forEach(t -> command.addAll(List.of("--show-only", t)));
    values.forEach((key, value) -> command.addAll(List.of("--set", key + "=" + value)));
    Path home = KubeTools.outputDir().resolve("helm-home");
    return Command.run(command, Map.of("HELM_CONFIG_HOME", home.resolve("config").toString(),
        "HELM_CACHE_HOME", home.resolve("cache").toString(), "HELM_DATA_HOME", home.resolve("data").toString()),
        null, COMMAND_BOUND).orFail().stdout();
  }

  // Computed once per JVM.
  private static final class BinHolder {
    static final Path PATH = locate();
  }

  private static Path locate() {
    String configured = System.getProperty("helm.bin", "");
    if (configured.isBlank()) {
      configured = System.getenv().getOrDefault("HELM_BIN", "");
    }
    Path helm;
    if (configured.isBlank()) {
      Path script = KubeTools.repoRoot().resolve("tools/helm/install.sh");
      Command.Result result = Command.run(List.of("bash", script.toString()), Map.of(), null, INSTALL_BOUND);
      if (!result.ok() || result.stdout().isBlank()) {
        throw new IllegalStateException("tools/helm/install.sh failed:\n" + result.describe());
      }
      helm = Path.of(result.stdout().strip().lines().reduce((first, second) -> second).orElseThrow());
    } else {
      helm = Path.of(configured);
    }
    if (!Files.isExecutable(helm)) {
      throw new IllegalStateException(helm + " is missing: run tools/helm/install.sh");
    }
    return helm;
  }
}
