package dev.istiod.bench.load;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * An edit phase's command, run with {@code bash -c}; its output goes to {@code log} (stderr) line by line, so the
 * report on stdout stays clean. It fails when the command exits non-zero or outlives the timeout (then it is
 * killed).
 */
record ShellEdit(String command, Duration timeout, PrintStream log) implements LoadGenerator.Edit {
  @Override
  public void run() throws IOException, InterruptedException {
    log.println("loadgen: running: " + command);
    Process p = new ProcessBuilder("bash", "-c", command).redirectErrorStream(true).start();
    Thread pump = Thread.ofPlatform().daemon().start(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          log.println("  | " + line);
        }
      } catch (IOException e) {
        // The process was killed; nothing more to show.
      }
    });
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new IOException("still running after " + timeout.toSeconds() + " s, killed: " + command);
    }
    pump.join(1000);
    if (p.exitValue() != 0) {
      throw new IOException("exit status " + p.exitValue() + ": " + command);
    }
  }
}
