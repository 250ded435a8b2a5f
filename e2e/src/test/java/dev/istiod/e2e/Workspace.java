package dev.istiod.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.TestInfo;

/**
 * A fresh directory per test under e2e/target/e2e/, holding its config dir and every process log. It is kept
 * after the run, so a failure can be read from the logs next to it ({@link PrintLogsOnFailure} prints them).
 */
final class Workspace {
  private Workspace() {}

  static Path forTest(TestInfo info) {
    Path dir = pathFor(info.getTestClass().orElseThrow(), info.getTestMethod().orElseThrow(), info.getDisplayName());
    deleteRecursively(dir);
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Path pathFor(Class<?> testClass, Method method, String displayName) {
    String display = displayName.replaceAll("[^A-Za-z0-9_.-]+", "_").replaceAll("^_+|_+$", "");
    String leaf = display.startsWith(method.getName()) ? method.getName() : method.getName() + "-" + display;
    return Toolchain.outputDir().resolve(testClass.getSimpleName()).resolve(leaf);
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
