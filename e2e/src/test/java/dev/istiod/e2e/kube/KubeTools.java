package dev.istiod.e2e.kube;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.TestInfo;

/**
 * Where the cluster tooling lives: the scripts under tools/kube/ and the binaries tools/kube/install.sh builds
 * (-Dkube.bin, else $KUBE_BIN, else whatever the installer prints; it builds only on a cold cache).
 */
final class KubeTools {
  /** A cold build of kube-apiserver, kube-controller-manager and etcd on 2 shared cores; cached afterwards. */
  static final Duration INSTALL_BOUND = Duration.ofMinutes(60);

  private KubeTools() {}

  static Path repoRoot() {
    String configured = System.getProperty("e2e.repoRoot", "");
    Path root = configured.isBlank() ? Path.of("").toAbsolutePath().getParent() : Path.of(configured);
    return root.toAbsolutePath().normalize();
  }

  static Path outputDir() {
    String configured = System.getProperty("e2e.outputDir", "");
    return configured.isBlank() ? repoRoot().resolve("e2e/target/e2e") : Path.of(configured);
  }

  /** A fresh directory for one test's logs and files: e2e/target/e2e/<class>/<method>/ (kept after the run). */
  static Path workDir(TestInfo info) {
    return workDir(info, "");
  }

  /** Like {@link #workDir(TestInfo)}, for one {@code variant} of a parameterized test: .../<method>-<variant>/. */
  static Path workDir(TestInfo info, String variant) {
    Path dir = outputDir().resolve(info.getTestClass().orElseThrow().getSimpleName())
        .resolve(info.getTestMethod().orElseThrow().getName() + (variant.isEmpty() ? "" : "-" + variant));
    try {
      if (Files.isDirectory(dir)) {
        try (Stream<Path> paths = Files.walk(dir)) {
          for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(path);
          }
        }
      }
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Path script(String name) {
    return repoRoot().resolve("tools/kube").resolve(name);
  }

  /** The directory with etcd, kube-apiserver, kube-controller-manager and kubectl. */
  static Path binDir() {
    return BinHolder.DIR;
  }

  // Computed once per JVM: even a cached install runs every binary's --version.
  private static final class BinHolder {
    static final Path DIR = locate();
  }

  private static Path locate() {
    String configured = System.getProperty("kube.bin", "");
    if (configured.isBlank()) {
      configured = System.getenv().getOrDefault("KUBE_BIN", "");
    }
    Path dir;
    if (configured.isBlank()) {
      Command.Result result = Command.run(List.of("bash", script("install.sh").toString()), Map.of(), null,
          INSTALL_BOUND);
      if (!result.ok() || result.stdout().isBlank()) {
        throw new IllegalStateException("tools/kube/install.sh failed:\n" + result.describe());
      }
      dir = Path.of(result.stdout().strip().lines().reduce((first, second) -> second).orElseThrow());
    } else {
      dir = Path.of(configured);
    }
    for (String binary : List.of("etcd", "kube-apiserver", "kube-controller-manager", "kubectl")) {
      if (!Files.isExecutable(dir.resolve(binary))) {
        throw new IllegalStateException(dir.resolve(binary) + " is missing: run tools/kube/install.sh");
      }
    }
    return dir;
  }
}
