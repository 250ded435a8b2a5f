package dev.istiod.configstore.validation;

import static dev.istiod.configstore.validation.Issues.q;

import com.google.protobuf.Duration;
import dev.istiod.model.Protocol;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Checks shared by several kinds: ports, protocols, durations, labels, exportTo. */
final class Common {
  private static final String QUALIFIED_NAME = "(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
  private static final String LABEL = "[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?";
  private static final Pattern TAG_KEY =
      Pattern.compile("^(" + LABEL + "(?:\\." + LABEL + ")*/)?(" + QUALIFIED_NAME + ")$");
  private static final Pattern LABEL_VALUE = Pattern.compile("^(" + QUALIFIED_NAME + ")?$");

  private Common() {}

  static Optional<String> port(long port) {
    if (port >= 1 && port <= 65535) {
      return Optional.empty();
    }
    return Optional.of("port number " + port + " must be in the range 1..65535");
  }

  static Optional<String> portName(String name) {
    return HostNames.isDns1123Label(name) ? Optional.empty() : Optional.of("invalid port name: " + name);
  }

  /** A port protocol; empty means "sniff" and is allowed. */
  static Optional<String> protocol(String protocol) {
    if (!protocol.isEmpty() && Protocol.parse(protocol) == Protocol.UNSUPPORTED) {
      return Optional.of("unsupported protocol: " + protocol);
    }
    return Optional.empty();
  }

  /** Durations Envoy accepts for timeouts: at least 1ms, millisecond precision. */
  static Optional<String> duration(Duration d) {
    long nanos = d.getSeconds() * 1_000_000_000L + d.getNanos();
    if (d.getSeconds() < 0 || nanos < 1_000_000L) {
      return Optional.of("duration must be greater than 1ms");
    }
    if (d.getNanos() % 1_000_000 != 0) {
      return Optional.of("only durations to ms precision are supported");
    }
    return Optional.empty();
  }

  static Optional<String> percent(int val) {
    if (val < 0 || val > 100) {
      return Optional.of("percentage " + val + " is not in range 0..100");
    }
    return Optional.empty();
  }

  /** Kubernetes label keys and values (upstream's labels.Instance.Validate). */
  static List<String> labels(Map<String, String> labels) {
    List<String> errs = new ArrayList<>();
    labels.forEach((k, v) -> {
      tagKey(k).ifPresent(errs::add);
      if (!LABEL_VALUE.matcher(v).matches()) {
        errs.add("invalid tag value: " + q(v));
      }
    });
    return errs;
  }

  private static Optional<String> tagKey(String k) {
    Matcher m = TAG_KEY.matcher(k);
    if (!m.matches()) {
      return Optional.of("invalid tag key: " + q(k));
    }
    if (m.group(1) != null && m.group(1).length() - 1 > 253) {
      return Optional.of("invalid tag key: " + q(k) + " (DNS prefix is too long)");
    }
    if (m.group(2).length() > HostNames.DNS1123_LABEL_MAX) {
      return Optional.of("invalid tag key: " + q(k) + " (name is too long)");
    }
    return Optional.empty();
  }

  /**
   * Labels of a workload selector: no empty keys, no wildcards. Returns the errors; a selector
   * without labels gets the warning text "workload selector specified without labels".
   */
  static List<String> selectorLabels(Map<String, String> labels) {
    List<String> errs = new ArrayList<>();
    labels.forEach((k, v) -> {
      if (k.isEmpty()) {
        errs.add("empty key is not supported in selector: " + q(k + "=" + v));
      }
      if (k.contains("*") || v.contains("*")) {
        errs.add("wildcard is not supported in selector: " + q(k + "=" + v));
      }
    });
    return errs;
  }

  static final String SELECTOR_WITHOUT_LABELS = "workload selector specified without labels";

  /** The exportTo list of VirtualService, DestinationRule and ServiceEntry. */
  static void exportTo(Issues issues, String namespace, List<String> exportTo, boolean serviceEntry,
      boolean destinationRuleWithSelector) {
    if (exportTo.isEmpty()) {
      return;
    }
    Set<String> seen = new HashSet<>();
    for (String e : exportTo) {
      String key = e.equals(".") ? namespace : e;
      if (seen.contains(key)) {
        if (!key.equals(e)) {
          issues.error("duplicate entries in exportTo: . and current namespace " + namespace);
        } else {
          issues.error("duplicate entries in exportTo for entry " + e);
        }
        continue;
      }
      if (serviceEntry && e.equals("~")) {
        seen.add(key);
        continue;
      }
      Optional<String> err = exportToEntry(key);
      if (err.isPresent()) {
        issues.error(err.get());
      } else {
        seen.add(key);
      }
    }
    if (destinationRuleWithSelector && !seen.isEmpty()) {
      if (seen.contains(namespace)) {
        if (seen.size() > 1) {
          issues.error("destination rule with workload selector cannot have multiple entries in exportTo");
        }
      } else {
        issues.error("destination rule with workload selector cannot have exportTo beyond current namespace");
      }
    }
    if (seen.contains("*") && exportTo.size() > 1) {
      issues.error("cannot have both public (*) and non-public exportTo values for a resource");
    }
    if (seen.contains("~") && exportTo.size() > 1) {
      issues.error("cannot export service entry to no one (~) and someone");
    }
  }

  private static Optional<String> exportToEntry(String v) {
    return switch (v) {
      case ".", "*" -> Optional.empty();
      case "~" -> Optional.of("exportTo ~ (none) is not allowed for Istio configuration objects");
      default -> HostNames.isDns1123Label(v)
          ? Optional.empty()
          : Optional.of("only .,*, or a valid DNS 1123 label is allowed as exportTo entry");
    };
  }

  /** Gateway references of a VirtualService or a match: {@code ns/name}, {@code mesh}, or legacy FQDN. */
  static void gatewayNames(Issues issues, List<String> names, boolean gatewaySemantics) {
    for (String name : names) {
      int slash = name.indexOf('/');
      if (slash < 0) {
        if (name.contains(".")) {
          String[] parts = name.split("\\.", -1);
          String recommended = parts[1] + "/" + parts[0];
          issues.warn("using legacy gatewayName format " + q(name)
              + "; prefer the <namespace>/<name> format: " + q(recommended));
        }
        issues.error(HostNames.fqdn(name));
        return;
      }
      String ns = name.substring(0, slash);
      String gw = name.substring(slash + 1);
      if (ns.isEmpty() || gw.isEmpty()) {
        issues.error("config namespace and gateway name cannot be empty");
      }
      if (!HostNames.isDns1123Label(ns)) {
        issues.error("invalid value for namespace: " + q(ns));
      }
      if (!HostNames.isDns1123Label(gw) && !gatewaySemantics) {
        issues.error("invalid value for gateway name: " + q(gw));
      }
    }
  }
}
