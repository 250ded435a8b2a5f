package dev.istiod.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Where things are: the repository, its charts and scripts, and this module's output directory. */
final class Repo {
  static final String ISTIO_NAMESPACE = "istio-system";

  private Repo() {}

  static Path root() {
    String configured = System.getProperty("deploy.repoRoot", "");
    Path root = configured.isBlank() ? Path.of("").toAbsolutePath().getParent() : Path.of(configured);
    return root.toAbsolutePath().normalize();
  }

  /** deploy/charts/{@code name}. */
  static Path chart(String name) {
    return root().resolve("deploy/charts").resolve(name);
  }

  static Path script(String relative) {
    return root().resolve(relative);
  }

  /** A fresh directory under deploy-tests/target/deploy-tests/ for one test's files (kept after the run). */
  static Path workDir(String name) {
    String configured = System.getProperty("deploy.outputDir", "");
    Path base = configured.isBlank() ? root().resolve("deploy-tests/target/deploy-tests") : Path.of(configured);
    Path dir = base.resolve(name);
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

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void write(Path file, String content) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
