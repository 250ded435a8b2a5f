package dev.istiod.deploy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The helm binary: -Dhelm.bin, else $HELM_BIN, else what tools/helm/install.sh prints (it builds Helm from the Go
 * module proxy on a cold cache, several minutes on a busy 2-core machine, and is instant afterwards). Helm's own
 * config, cache and data directories are kept under this module's target directory, away from the user's.
 */
final class Helm {
  static final Duration INSTALL_BOUND = Duration.ofMinutes(30);
  static final Duration COMMAND_BOUND = Duration.ofMinutes(3);

  private Helm() {}

  static Path binary() {
    return BinHolder.PATH;
  }

  /** {@code helm <args>} with the given extra environment (KUBECONFIG for cluster commands). */
  static Command.Result run(Map<String, String> env, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(binary().toString());
    command.addAll(args);
    Map<String, String> all = new HashMap<>(HomeHolder.ENV);
    all.putAll(env);
    return Command.run(command, all, null, COMMAND_BOUND);
  }

  static Command.Result run(String... args) {
    return run(Map.of(), List.of(args));
  }

  /** {@code helm template <release> deploy/charts/<chart> -n istio-system <args>}. */
  static Command.Result template(String chart, String... args) {
    List<String> all = new ArrayList<>(List.of("template", chart, Repo.chart(chart).toString(),
        "--namespace", Repo.ISTIO_NAMESPACE));
    all.addAll(List.of(args));
    return run(Map.of(), all);
  }

  private static final class BinHolder {
    static final Path PATH = locate();
  }

  private static final class HomeHolder {
    static final Map<String, String> ENV = homes();
  }

  private static Path locate() {
    String configured = System.getProperty("helm.bin", "");
    if (configured.isBlank()) {
      configured = System.getenv().getOrDefault("HELM_BIN", "");
    }
    if (!configured.isBlank()) {
      return Path.of(configured);
    }
    Command.Result result = Command.run(List.of("bash", Repo.script("tools/helm/install.sh").toString()), Map.of(),
        null, INSTALL_BOUND);
    if (!result.ok() || result.stdout().isBlank()) {
      throw new IllegalStateException("tools/helm/install.sh failed:\n" + result.describe());
    }
    return Path.of(result.stdout().strip().lines().reduce((first, second) -> second).orElseThrow());
  }

  private static Map<String, String> homes() {
    Path home = Repo.workDir("helm-home");
    return Map.of("HELM_CONFIG_HOME", home.resolve("config").toString(),
        "HELM_CACHE_HOME", home.resolve("cache").toString(),
        "HELM_DATA_HOME", home.resolve("data").toString());
  }
}
