package dev.istiod.deploy;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One short-lived command (helm, kubectl, a script) run to completion within a bound, stdout and stderr
 * captured through temporary files so that a chatty command never blocks on a full pipe.
 */
final class Command {
  /** What a finished command left behind; {@code exitCode} is -1 if it was killed at the bound. */
  record Result(List<String> command, int exitCode, String stdout, String stderr) {
    Result {
      command = List.copyOf(command);
    }

    boolean ok() {
      return exitCode == 0;
    }

    /** This result if the command succeeded; otherwise an AssertionError with everything a reader needs. */
    Result orFail() {
      if (!ok()) {
        throw new AssertionError(describe());
      }
      return this;
    }

    String describe() {
      return String.join(" ", command) + "\n  -> exit " + exitCode
          + (stdout.isBlank() ? "" : "\n  stdout: " + stdout.strip().replace("\n", "\n          "))
          + (stderr.isBlank() ? "" : "\n  stderr: " + stderr.strip().replace("\n", "\n          "));
    }
  }

  private Command() {}

  static Result run(List<String> command, Map<String, String> env, String stdin, Duration bound) {
    Path out = null;
    Path err = null;
    try {
      out = Files.createTempFile("deploy-tests-cmd", ".out");
      err = Files.createTempFile("deploy-tests-cmd", ".err");
      ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
      builder.environment().putAll(env);
      Process process = builder.start();
      try (OutputStream in = process.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      }
      int code = waitFor(process, bound);
      return new Result(command, code, Files.readString(out),
          Files.readString(err) + (code == -1 ? "\n(killed: still running after " + bound + ")" : ""));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command, e);
    } finally {
      deleteQuietly(out);
      deleteQuietly(err);
    }
  }

  private static int waitFor(Process process, Duration bound) {
    try {
      if (process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
        return process.exitValue();
      }
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
      return -1;
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + process.info().command().orElse("?"), e);
    }
  }

  private static void deleteQuietly(Path path) {
    if (path != null) {
      try {
        Files.deleteIfExists(path);
      } catch (IOException ignored) {
        // a temporary file left behind is harmless
      }
    }
  }
}
