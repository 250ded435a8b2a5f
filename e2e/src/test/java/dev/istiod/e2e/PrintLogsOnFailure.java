package dev.istiod.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/** When a test fails, prints the tail of every process log in its workspace, so CI output shows why. */
final class PrintLogsOnFailure implements TestWatcher {
  private static final int TAIL_LINES = 80;

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    Path dir = Workspace.pathFor(context.getRequiredTestClass(), context.getRequiredTestMethod(),
        context.getDisplayName());
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path log : files.filter(p -> p.toString().endsWith(".log")).sorted().toList()) {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        System.out.printf("%n===== %s (last %d of %d lines) =====%n", log, Math.min(TAIL_LINES, lines.size()),
            lines.size());
        lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()).forEach(System.out::println);
      }
    } catch (IOException e) {
      System.out.println("cannot read logs in " + dir + ": " + e);
    }
  }
}
