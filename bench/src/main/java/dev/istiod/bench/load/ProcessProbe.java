package dev.istiod.bench.load;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Reads a process's CPU time and memory from {@code /proc} (Linux): CPU-seconds are {@code utime + stime} of
 * {@code /proc/PID/stat} divided by the clock-tick rate ({@code getconf CLK_TCK}); memory is {@code VmRSS} and
 * {@code VmHWM} (peak RSS) of {@code /proc/PID/status}.
 */
final class ProcessProbe {
  /** One reading. */
  record Sample(double cpuSeconds, long rssBytes, long hwmBytes) {}

  private final long pid;
  private final long ticksPerSecond;

  ProcessProbe(long pid, long ticksPerSecond) {
    if (pid <= 0 || ticksPerSecond <= 0) {
      throw new IllegalArgumentException("pid and clock ticks must be positive: " + pid + ", " + ticksPerSecond);
    }
    this.pid = pid;
    this.ticksPerSecond = ticksPerSecond;
  }

  /** A probe of {@code pid}, with the clock-tick rate from {@code getconf CLK_TCK}. */
  static ProcessProbe of(long pid) throws IOException {
    ProcessProbe probe = new ProcessProbe(pid, clockTicksPerSecond());
    probe.sample().orElseThrow(() -> new IOException("no process " + pid + " (cannot read /proc/" + pid + "/stat)"));
    return probe;
  }

  long pid() {
    return pid;
  }

  /** The process's CPU and memory now, or empty when it is gone. */
  Optional<Sample> sample() {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
      // Fields after the command name (which may hold spaces) start at field 3, "state"; utime and stime are the
      // 14th and 15th fields.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      long rss = 0;
      long hwm = 0;
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.US_ASCII)) {
        if (line.startsWith("VmRSS:")) {
          rss = kilobytes(line);
        } else if (line.startsWith("VmHWM:")) {
          hwm = kilobytes(line);
        }
      }
      return Optional.of(new Sample((double) ticks / ticksPerSecond, rss, hwm));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static long kilobytes(String line) {
    String[] parts = line.trim().split("\\s+");
    return Long.parseLong(parts[1]) * 1024;
  }

  static long clockTicksPerSecond() throws IOException {
    Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("getconf CLK_TCK failed: " + out);
      }
      return Long.parseLong(out);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running getconf", e);
    } catch (NumberFormatException e) {
      throw new IOException("getconf CLK_TCK printed no number", e);
    } finally {
      p.destroy();
    }
  }

  /** This JVM's own CPU-seconds (user + system), so a report shows the load the generator itself adds. */
  static double ownCpuSeconds() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime() / 1e9;
    }
    return Double.NaN;
  }
}
