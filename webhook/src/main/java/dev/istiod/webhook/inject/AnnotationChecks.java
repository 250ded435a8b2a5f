package dev.istiod.webhook.inject;

import dev.istiod.api.mesh.v1alpha1.ProxyConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Checks the pod annotations that feed the injected pod (upstream's AnnotationValidation): a
 * bad value fails injection with upstream's message rather than yielding a pod whose
 * {@code istio-iptables} or proxy refuses to start.
 */
final class AnnotationChecks {
  private static final Set<String> BOOLEANS = Set.of("1", "t", "T", "TRUE", "true", "True",
      "0", "f", "F", "FALSE", "false", "False");
  private static final Map<String, Function<String, Optional<String>>> CHECKS = checks();

  private AnnotationChecks() {}

  private static Map<String, Function<String, Optional<String>>> checks() {
    Map<String, Function<String, Optional<String>>> m = new LinkedHashMap<>();
    m.put("sidecar.istio.io/interceptionMode", AnnotationChecks::interceptionMode);
    m.put("status.sidecar.istio.io/port", v -> port(v).map(e -> "excludeInboundPorts invalid: " + e));
    m.put("readiness.status.sidecar.istio.io/initialDelaySeconds", AnnotationChecks::uint32);
    m.put("readiness.status.sidecar.istio.io/periodSeconds", AnnotationChecks::uint32);
    m.put("readiness.status.sidecar.istio.io/failureThreshold", AnnotationChecks::uint32);
    m.put("traffic.sidecar.istio.io/includeOutboundIPRanges",
        v -> v.equals("*") ? Optional.empty() : cidrs(v).map(e -> "includeIPRanges invalid: " + e));
    m.put("traffic.sidecar.istio.io/excludeOutboundIPRanges", v -> cidrs(v).map(e -> "excludeIPRanges invalid: " + e));
    m.put("traffic.sidecar.istio.io/includeInboundPorts",
        v -> v.equals("*") ? Optional.empty() : ports(v).map(e -> "includeInboundPorts invalid: " + e));
    m.put("traffic.sidecar.istio.io/excludeInboundPorts", v -> ports(v).map(e -> "excludeInboundPorts invalid: " + e));
    m.put("traffic.sidecar.istio.io/excludeOutboundPorts", v -> ports(v).map(e -> "excludeOutboundPorts invalid: " + e));
    m.put("prometheus.istio.io/merge-metrics", v -> BOOLEANS.contains(v) ? Optional.empty()
        : Optional.of("strconv.ParseBool: parsing \"" + v + "\": invalid syntax"));
    m.put(ProxyConfigs.ANNOTATION, AnnotationChecks::proxyConfig);
    return m;
  }

  /** Every problem, one message per bad annotation (sorted by name for a stable message). */
  static List<String> check(Map<String, String> annotations) {
    List<String> errors = new ArrayList<>();
    for (Map.Entry<String, String> e : new TreeMap<>(annotations).entrySet()) {
      Function<String, Optional<String>> check = CHECKS.get(e.getKey());
      if (check != null) {
        check.apply(e.getValue()).ifPresent(err ->
            errors.add("invalid value '" + e.getValue() + "' for annotation '" + e.getKey() + "': " + err));
      }
    }
    return errors;
  }

  private static Optional<String> interceptionMode(String v) {
    return Set.of("REDIRECT", "TPROXY", "NONE").contains(v) ? Optional.empty()
        : Optional.of("interceptionMode invalid, use REDIRECT,TPROXY,NONE: " + v);
  }

  private static Optional<String> uint32(String v) {
    return parseUnsigned(v, 0xFFFF_FFFFL).isPresent() ? Optional.empty()
        : Optional.of("strconv.ParseUint: parsing \"" + v + "\": invalid syntax");
  }

  private static Optional<String> port(String v) {
    return parseUnsigned(v.strip(), 65535).isPresent() ? Optional.empty()
        : Optional.of("failed parsing port '" + v + "': strconv.ParseUint: parsing \"" + v.strip()
            + "\": invalid syntax");
  }

  private static Optional<String> ports(String v) {
    String trimmed = v.strip();
    if (trimmed.isEmpty()) {
      return Optional.empty();
    }
    for (String p : trimmed.split(",", -1)) {
      Optional<String> err = port(p);
      if (err.isPresent()) {
        return Optional.of("failed parsing port '" + p + "': " + err.get());
      }
    }
    return Optional.empty();
  }

  private static Optional<Long> parseUnsigned(String v, long max) {
    if (v.isEmpty() || !v.chars().allMatch(Character::isDigit) || v.length() > 19) {
      return Optional.empty();
    }
    long n = Long.parseLong(v);
    return n <= max ? Optional.of(n) : Optional.empty();
  }

  private static Optional<String> cidrs(String v) {
    if (v.isEmpty()) {
      return Optional.empty();
    }
    for (String cidr : v.split(",", -1)) {
      if (!isPrefix(cidr)) {
        return Optional.of("failed parsing cidr '" + cidr + "': netip.ParsePrefix(\"" + cidr + "\"): invalid prefix");
      }
    }
    return Optional.empty();
  }

  /** Go's netip.ParsePrefix: an IP literal (no zone), a slash, and a prefix length in range. */
  static boolean isPrefix(String s) {
    int slash = s.indexOf('/');
    if (slash < 0) {
      return false;
    }
    String addr = s.substring(0, slash);
    String bits = s.substring(slash + 1);
    boolean v6 = addr.contains(":");
    if (addr.contains("%") || bits.isEmpty() || !bits.chars().allMatch(Character::isDigit) || bits.length() > 3
        || (bits.length() > 1 && bits.startsWith("0"))) {
      return false;
    }
    int len = Integer.parseInt(bits);
    if (len > (v6 ? 128 : 32)) {
      return false;
    }
    if (!v6) {
      String[] parts = addr.split("\\.", -1);
      if (parts.length != 4) {
        return false;
      }
      for (String p : parts) {
        if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)
            || (p.length() > 1 && p.startsWith("0")) || Integer.parseInt(p) > 255) {
          return false;
        }
      }
      return true;
    }
    if (!addr.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
      return false;
    }
    try {
      InetAddress.getByName(addr); // a literal only: the characters above exclude host names
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static Optional<String> proxyConfig(String v) {
    try {
      ProxyConfigs.applyAnnotation(ProxyConfig.getDefaultInstance(), v);
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of("failed to convert to apply proxy config: " + e.getMessage());
    }
  }
}
