package dev.istiod.bench.load;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The measurements of one phase ({@code initial}, {@code vs-edit}, {@code eds-edit}).
 *
 * @param proxies how many proxies the phase waited for
 * @param converged how many got what the phase waits for before the timeout
 * @param convergenceSeconds from the phase's reference instant (first connect; the edit command's completion) until
 *     the last converged proxy got it; covers only the converged proxies when some did not
 * @param latency per-proxy times in milliseconds (initial: stream open until all four types; edits: command
 *     completion until the change arrived, 0 when it arrived before the command returned), over converged proxies
 * @param commandSeconds how long the edit command ran (null for {@code initial})
 * @param durationSeconds from the phase's start until the quiet that ends it
 * @param controlPlane the control plane's CPU and memory, when a pid was given
 * @param loadgenCpuSeconds this process's own CPU-seconds over the phase
 * @param types per xDS type: what proxies hold at the phase's end and what they received during it
 * @param invalidResponses responses NACKed because a resource did not parse (or was duplicated or mistyped)
 * @param acks responses ACKed during the phase
 * @param streamFailures ADS streams that ended during the phase (each was reopened after a back-off)
 * @param error why the phase could not run (a failed edit command), or null
 */
record PhaseResult(String name, int proxies, int converged, double convergenceSeconds, Latency latency,
    Double commandSeconds, double durationSeconds, ControlPlane controlPlane, double loadgenCpuSeconds,
    Map<XdsType, TypeStats> types, long invalidResponses, long acks, long streamFailures, String error) {

  PhaseResult {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(latency, "latency");
    types = Map.copyOf(types);
  }

  int notConverged() {
    return proxies - converged;
  }

  /** Nearest-rank percentiles of per-proxy times in milliseconds (all 0 when no proxy converged). */
  record Latency(double p50, double p90, double p99, double max) {
    static Latency of(List<Double> millis) {
      if (millis.isEmpty()) {
        return new Latency(0, 0, 0, 0);
      }
      double[] sorted = millis.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      return new Latency(rank(sorted, 0.50), rank(sorted, 0.90), rank(sorted, 0.99), sorted[sorted.length - 1]);
    }

    private static double rank(double[] sorted, double q) {
      int i = (int) Math.ceil(q * sorted.length) - 1;
      return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
  }

  /**
   * The control plane process over the phase.
   *
   * @param cpuSecondsToConvergence CPU-seconds from the phase's start until the last proxy converged (or the
   *     timeout)
   * @param cpuSeconds CPU-seconds from the phase's start until the quiet that ends it
   * @param rssBytes VmRSS at the phase's end
   * @param hwmBytes VmHWM (peak RSS since the process started) at the phase's end
   */
  record ControlPlane(double cpuSecondsToConvergence, double cpuSeconds, long rssBytes, long hwmBytes) {}

  /**
   * One xDS type in one phase.
   *
   * @param heldMedian resources each proxy holds at the phase's end: median across proxies
   * @param heldMax the same, the largest
   * @param heldBytesMedian serialized bytes of those resources: median across proxies
   * @param heldBytesMax the same, the largest
   * @param responses responses of this type all proxies received during the phase
   * @param bytesReceived serialized bytes of those responses
   */
  record TypeStats(long heldMedian, long heldMax, long heldBytesMedian, long heldBytesMax, long responses,
      long bytesReceived) {
    static TypeStats of(long[] held, long[] heldBytes, long responses, long bytesReceived) {
      return new TypeStats(median(held), max(held), median(heldBytes), max(heldBytes), responses, bytesReceived);
    }

    private static long median(long[] values) {
      if (values.length == 0) {
        return 0;
      }
      long[] sorted = values.clone();
      Arrays.sort(sorted);
      return sorted[(sorted.length - 1) / 2];
    }

    private static long max(long[] values) {
      return Arrays.stream(values).max().orElse(0);
    }
  }
}
