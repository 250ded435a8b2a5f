package dev.istiod.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/**
 * A child process whose stdout and stderr go to a log file, and which cannot outlive the test JVM: a shutdown
 * hook kills it if the JVM exits (or surefire kills the fork) before the test closed it.
 */
final class ManagedProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path log;
  private final Thread killOnExit;

  private ManagedProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.killOnExit = new Thread(process::destroyForcibly, "kill-" + name);
    Runtime.getRuntime().addShutdownHook(killOnExit);
  }

  static ManagedProcess start(String name, List<String> command, Map<String, String> env, Path log) {
    try {
      Files.createDirectories(log.getParent());
      ProcessBuilder builder = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .directory(log.getParent().toFile());
      builder.environment().putAll(env);
      Process process = builder.start();
      process.getOutputStream().close();
      return new ManagedProcess(name, process, log);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + command, e);
    }
  }

  String name() {
    return name;
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  OptionalInt exitCode() {
    return process.isAlive() ? OptionalInt.empty() : OptionalInt.of(process.exitValue());
  }

  Path logFile() {
    return log;
  }

  String log() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "<cannot read " + log + ": " + e + ">";
    }
  }

  String logTail(int lines) {
    List<String> all = log().lines().toList();
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  /**
   * Sends SIGTERM (what {@link Process#destroy()} does on Unix) and waits up to {@code bound} for the exit.
   * Returns the exit code, or empty if the process did not exit in time (it is then killed).
   */
  OptionalInt terminate(Duration bound) {
    if (!process.isAlive()) {
      return OptionalInt.of(process.exitValue());
    }
    process.destroy();
    if (waitFor(bound)) {
      return OptionalInt.of(process.exitValue());
    }
    kill();
    return OptionalInt.empty();
  }

  private boolean waitFor(Duration bound) {
    try {
      return process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void kill() {
    process.destroyForcibly();
    waitFor(Duration.ofSeconds(10));
  }

  /** Kills the process if it is still running. Idempotent. */
  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running or about to run; it kills an already dead process, which is harmless.
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ", log " + log + ")";
  }
}
