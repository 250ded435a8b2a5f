package dev.istiod.bench.load;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The run's report: a table for people and a JSON document with the same numbers for scripts.
 *
 * <p>JSON fields: {@code target}, {@code startedAt} (ISO-8601), {@code proxies}, {@code sidecars}, {@code gateways},
 * {@code deltaProxies}, {@code connectRate}, {@code quietMs}, {@code timeoutSeconds}, {@code controlPlanePid} (null
 * without {@code --pid}); {@code phases}: one object per phase run, with the fields of {@link PhaseResult}
 * ({@code name}, {@code proxies}, {@code converged}, {@code notConverged}, {@code convergenceSeconds},
 * {@code latencyMs} {p50, p90, p99, max}, {@code commandSeconds}, {@code durationSeconds}, {@code controlPlane}
 * {cpuSecondsToConvergence, cpuSeconds, rssBytes, hwmBytes} or null, {@code loadgenCpuSeconds}, {@code types}
 * {CDS|EDS|LDS|RDS: {heldMedian, heldMax, heldBytesMedian, heldBytesMax, responses, bytesReceived}},
 * {@code invalidResponses}, {@code acks}, {@code streamFailures}, {@code error}); then {@code invalidResponses} (whole
 * run), {@code streamFailuresByStatus}, {@code problems} (the first few messages verbatim) and {@code ok} (every
 * proxy converged in every phase and no response was invalid: the exit status is 0 exactly when it is true).
 */
record Report(Map<String, Object> run, List<PhaseResult> phases, long invalidResponses,
    Map<String, Long> streamFailuresByStatus, List<String> problems) {

  Report {
    run = new LinkedHashMap<>(run);
    phases = List.copyOf(phases);
    streamFailuresByStatus = Map.copyOf(streamFailuresByStatus);
    problems = List.copyOf(problems);
  }

  boolean ok() {
    return invalidResponses == 0 && phases.stream().allMatch(p -> p.notConverged() == 0 && p.error() == null);
  }

  String json() {
    Map<String, Object> doc = new LinkedHashMap<>(run);
    doc.put("phases", phases.stream().map(Report::phaseJson).toList());
    doc.put("invalidResponses", invalidResponses);
    doc.put("streamFailuresByStatus", new java.util.TreeMap<>(streamFailuresByStatus));
    doc.put("problems", problems);
    doc.put("ok", ok());
    return Json.write(doc);
  }

  private static Map<String, Object> phaseJson(PhaseResult p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", p.name());
    m.put("proxies", p.proxies());
    m.put("converged", p.converged());
    m.put("notConverged", p.notConverged());
    m.put("convergenceSeconds", p.convergenceSeconds());
    Map<String, Object> latency = new LinkedHashMap<>();
    latency.put("p50", p.latency().p50());
    latency.put("p90", p.latency().p90());
    latency.put("p99", p.latency().p99());
    latency.put("max", p.latency().max());
    m.put("latencyMs", latency);
    m.put("commandSeconds", p.commandSeconds());
    m.put("durationSeconds", p.durationSeconds());
    PhaseResult.ControlPlane cp = p.controlPlane();
    if (cp == null) {
      m.put("controlPlane", null);
    } else {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("cpuSecondsToConvergence", cp.cpuSecondsToConvergence());
      c.put("cpuSeconds", cp.cpuSeconds());
      c.put("rssBytes", cp.rssBytes());
      c.put("hwmBytes", cp.hwmBytes());
      m.put("controlPlane", c);
    }
    m.put("loadgenCpuSeconds", p.loadgenCpuSeconds());
    Map<String, Object> types = new LinkedHashMap<>();
    for (XdsType t : XdsType.values()) {
      PhaseResult.TypeStats s = p.types().get(t);
      Map<String, Object> ts = new LinkedHashMap<>();
      ts.put("heldMedian", s.heldMedian());
      ts.put("heldMax", s.heldMax());
      ts.put("heldBytesMedian", s.heldBytesMedian());
      ts.put("heldBytesMax", s.heldBytesMax());
      ts.put("responses", s.responses());
      ts.put("bytesReceived", s.bytesReceived());
      types.put(t.shortName(), ts);
    }
    m.put("types", types);
    m.put("invalidResponses", p.invalidResponses());
    m.put("acks", p.acks());
    m.put("streamFailures", p.streamFailures());
    m.put("error", p.error());
    return m;
  }

  /** The human table. */
  void print(PrintStream out) {
    out.printf("%-9s %11s %9s %9s %9s %9s %9s %15s %13s %9s%n", "phase", "converged", "last(s)", "p50(ms)",
        "p90(ms)", "p99(ms)", "max(ms)", "cp-cpu(s) c/q", "cp-rss/hwm", "lg-cpu(s)");
    for (PhaseResult p : phases) {
      PhaseResult.ControlPlane cp = p.controlPlane();
      out.printf(Locale.ROOT, "%-9s %11s %9.3f %9.1f %9.1f %9.1f %9.1f %15s %13s %9.2f%n", p.name(),
          p.converged() + "/" + p.proxies(), p.convergenceSeconds(), p.latency().p50(), p.latency().p90(),
          p.latency().p99(), p.latency().max(),
          cp == null ? "-" : String.format(Locale.ROOT, "%.2f/%.2f", cp.cpuSecondsToConvergence(), cp.cpuSeconds()),
          cp == null ? "-" : mib(cp.rssBytes()) + "/" + mib(cp.hwmBytes()), p.loadgenCpuSeconds());
      if (p.error() != null) {
        out.println("          " + p.error());
      }
    }
    out.println();
    out.printf("%-9s %-4s %15s %21s %10s %12s%n", "phase", "type", "held med/max", "held bytes med/max",
        "responses", "bytes recv");
    for (PhaseResult p : phases) {
      for (XdsType t : XdsType.values()) {
        PhaseResult.TypeStats s = p.types().get(t);
        out.printf(Locale.ROOT, "%-9s %-4s %15s %21s %10d %12s%n", p.name(), t.shortName(),
            s.heldMedian() + "/" + s.heldMax(), size(s.heldBytesMedian()) + "/" + size(s.heldBytesMax()),
            s.responses(), size(s.bytesReceived()));
      }
    }
    out.println();
    long acks = phases.stream().mapToLong(PhaseResult::acks).sum();
    long failures = phases.stream().mapToLong(PhaseResult::streamFailures).sum();
    out.printf("invalid (NACKed) responses: %d; ACKs: %d; stream failures: %d %s%n", invalidResponses, acks, failures,
        streamFailuresByStatus.isEmpty() ? "" : streamFailuresByStatus.toString());
    problems.forEach(m -> out.println("  " + m));
    out.println(ok() ? "result: every proxy converged in every phase"
        : "result: FAILED (proxies not converged, an edit command failed, or invalid responses)");
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.0fM", bytes / 1048576.0);
  }

  private static String size(long bytes) {
    if (bytes < 10 * 1024) {
      return bytes + "B";
    }
    if (bytes < 10L * 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1fK", bytes / 1024.0);
    }
    return String.format(Locale.ROOT, "%.1fM", bytes / 1048576.0);
  }
}
