package dev.istiod.e2e.kube;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Where Istio's pilot-agent lives: -Distio.bin, else $ISTIO_BIN, else whatever tools/istio/install.sh prints (it
 * builds only on a cold cache). Beside the bin directory, the install keeps the proxy image's Envoy bootstrap
 * template at ../var/lib/istio/envoy/envoy_bootstrap_tmpl.json.
 */
final class PilotAgentTools {
  /** A cold build of pilot-agent on 2 shared cores; cached afterwards. */
  static final Duration INSTALL_BOUND = Duration.ofMinutes(40);

  private PilotAgentTools() {}

  static Path pilotAgent() {
    return BinHolder.DIR.resolve("pilot-agent");
  }

  /** istioctl, built by the same install from the same Istio version. */
  static Path istioctl() {
    Path istioctl = BinHolder.DIR.resolve("istioctl");
    if (!Files.isExecutable(istioctl)) {
      throw new IllegalStateException(istioctl + " is missing: run tools/istio/install.sh");
    }
    return istioctl;
  }

  static Path bootstrapTemplate() {
    return BinHolder.DIR.getParent().resolve("var/lib/istio/envoy/envoy_bootstrap_tmpl.json");
  }

  // Computed once per JVM: even a cached install runs pilot-agent's version command.
  private static final class BinHolder {
    static final Path DIR = locate();
  }

  private static Path locate() {
    String configured = System.getProperty("istio.bin", "");
    if (configured.isBlank()) {
      configured = System.getenv().getOrDefault("ISTIO_BIN", "");
    }
    Path dir;
    if (configured.isBlank()) {
      Path script = KubeTools.repoRoot().resolve("tools/istio/install.sh");
      Command.Result result = Command.run(List.of("bash", script.toString()), Map.of(), null, INSTALL_BOUND);
      if (!result.ok() || result.stdout().isBlank()) {
        throw new IllegalStateException("tools/istio/install.sh failed:\n" + result.describe());
      }
      dir = Path.of(result.stdout().strip().lines().reduce((first, second) -> second).orElseThrow());
    } else {
      dir = Path.of(configured);
    }
    if (!Files.isExecutable(dir.resolve("pilot-agent"))) {
      throw new IllegalStateException(dir.resolve("pilot-agent") + " is missing: run tools/istio/install.sh");
    }
    Path template = dir.getParent().resolve("var/lib/istio/envoy/envoy_bootstrap_tmpl.json");
    if (!Files.isRegularFile(template)) {
      throw new IllegalStateException(template + " is missing: run tools/istio/install.sh");
    }
    return dir;
  }
}
