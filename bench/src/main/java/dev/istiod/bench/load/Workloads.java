package dev.istiod.bench.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The simulated proxies' pods: read from a workloads file, or synthesized.
 *
 * <p>The workloads file is tab-separated, one proxy per line; blank lines and lines starting with {@code #} are
 * skipped. Columns:
 * <pre>
 *   ip  pod  namespace  serviceAccount  labels  [ports]  [kind]
 * </pre>
 * {@code labels} is {@code k=v,k=v} or {@code -} for none; {@code ports} is the containers' ports, {@code 9080,9090}
 * or {@code -}; {@code kind} is {@code sidecar} (the default) or {@code router} (a gateway). Example:
 * <pre>
 *   10.1.0.7	reviews-v1-5d8f7c9b4-x2x2x	default	bookinfo-reviews	app=reviews,version=v1	9080
 * </pre>
 */
final class Workloads {
  private Workloads() {}

  /** Reads a workloads file (format above); a malformed line fails with its line number. */
  static List<Workload> read(Path file) throws IOException {
    List<Workload> out = new ArrayList<>();
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      try {
        out.add(parseLine(lines.get(i)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + ":" + (i + 1) + ": " + e.getMessage(), e);
      }
    }
    return out;
  }

  static Workload parseLine(String line) {
    String[] f = line.strip().split("\t");
    if (f.length < 5 || f.length > 7) {
      throw new IllegalArgumentException(
          "want 5 to 7 tab-separated columns (ip pod namespace serviceAccount labels [ports] [kind]), got " + f.length);
    }
    Workload.Kind kind = Workload.Kind.SIDECAR;
    if (f.length == 7) {
      kind = switch (f[6].strip()) {
        case "sidecar" -> Workload.Kind.SIDECAR;
        case "router" -> Workload.Kind.ROUTER;
        default -> throw new IllegalArgumentException("kind must be sidecar or router: " + f[6]);
      };
    }
    List<Integer> ports = f.length >= 6 ? ports(f[5].strip()) : List.of();
    return new Workload(kind, f[0].strip(), f[1].strip(), f[2].strip(), f[3].strip(), labels(f[4].strip()), ports);
  }

  private static Map<String, String> labels(String text) {
    Map<String, String> labels = new LinkedHashMap<>();
    if (text.equals("-") || text.isEmpty()) {
      return labels;
    }
    for (String pair : text.split(",")) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("label must be key=value: " + pair);
      }
      labels.put(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
    }
    return labels;
  }

  private static List<Integer> ports(String text) {
    List<Integer> ports = new ArrayList<>();
    if (text.equals("-") || text.isEmpty()) {
      return ports;
    }
    for (String p : text.split(",")) {
      try {
        int port = Integer.parseInt(p.strip());
        if (port < 1 || port > 65535) {
          throw new NumberFormatException();
        }
        ports.add(port);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("port must be 1-65535: " + p, e);
      }
    }
    return ports;
  }

  /**
   * Sidecar {@code i} (from 0): pod {@code load-<i>-0} (workload {@code load-<i>}) in namespace default, label
   * app=load-{@code i}, service account default, ip 10.1.0.1 + i.
   */
  static Workload sidecar(int i) {
    return new Workload(Workload.Kind.SIDECAR, ip(10, 1, i), "load-" + i + "-0", "default", "default",
        Map.of("app", "load-" + i), List.of());
  }

  /**
   * Gateway {@code i} (from 0): an ingress gateway pod in istio-system labelled istio=ingressgateway, ip 10.254.0.1 + i.
   */
  static Workload gateway(int i) {
    return new Workload(Workload.Kind.ROUTER, ip(10, 254, i), "istio-ingressgateway-" + i, "istio-system",
        "istio-ingressgateway-service-account",
        Map.of("istio", "ingressgateway", "app", "istio-ingressgateway"), List.of());
  }

  /** {@code a.b.0.1} plus {@code offset}, carrying into the second octet. */
  private static String ip(int a, int b, int offset) {
    long v = ((long) a << 24 | (long) b << 16) + 1 + offset;
    if (offset < 0 || (v >>> 24) != a) {
      throw new IllegalArgumentException("too many proxies for " + a + "." + b + ".0.0/8: " + offset);
    }
    return (v >>> 24 & 255) + "." + (v >>> 16 & 255) + "." + (v >>> 8 & 255) + "." + (v & 255);
  }
}
