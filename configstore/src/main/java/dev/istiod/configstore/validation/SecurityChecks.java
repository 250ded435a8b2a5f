package dev.istiod.configstore.validation;

import static dev.istiod.configstore.validation.Issues.q;

import dev.istiod.api.security.v1beta1.Condition;
import dev.istiod.api.security.v1beta1.Operation;
import dev.istiod.api.security.v1beta1.Source;
import java.util.List;
import java.util.Optional;

/** Value checks of AuthorizationPolicy sources, operations and conditions. */
final class SecurityChecks {
  private SecurityChecks() {}

  /** Checks one source; returns whether it uses attributes that also apply to plain TCP. */
  static boolean source(Issues issues, Source s, int rule) {
    if (s.getPrincipalsCount() + s.getNotPrincipalsCount() + s.getNamespacesCount() + s.getNotNamespacesCount() > 0
        && s.getServiceAccountsCount() + s.getNotServiceAccountsCount() > 0) {
      issues.error("cannot set serviceAccounts with namespaces or principals, found at rule " + rule);
    }
    if (s.equals(Source.getDefaultInstance())) {
      issues.error("`from.source` must not be empty, found at rule " + rule);
    }
    ips(issues, s.getIpBlocksList());
    ips(issues, s.getNotIpBlocksList());
    ips(issues, s.getRemoteIpBlocksList());
    ips(issues, s.getNotRemoteIpBlocksList());
    empty(issues, "Principals", s.getPrincipalsList());
    empty(issues, "RequestPrincipals", s.getRequestPrincipalsList());
    empty(issues, "Namespaces", s.getNamespacesList());
    serviceAccounts(issues, "ServiceAccounts", s.getServiceAccountsList());
    wildcards(issues, "TrustDomains", s.getTrustDomainsList(), true);
    empty(issues, "IpBlocks", s.getIpBlocksList());
    empty(issues, "RemoteIpBlocks", s.getRemoteIpBlocksList());
    empty(issues, "NotPrincipals", s.getNotPrincipalsList());
    empty(issues, "NotRequestPrincipals", s.getNotRequestPrincipalsList());
    empty(issues, "NotNamespaces", s.getNotNamespacesList());
    serviceAccounts(issues, "NotServiceAccounts", s.getNotServiceAccountsList());
    wildcards(issues, "NotTrustDomains", s.getNotTrustDomainsList(), true);
    empty(issues, "NotIpBlocks", s.getNotIpBlocksList());
    empty(issues, "NotRemoteIpBlocks", s.getNotRemoteIpBlocksList());
    return s.getNotPrincipalsCount() + s.getPrincipalsCount() + s.getIpBlocksCount() + s.getNotIpBlocksCount()
        + s.getNamespacesCount() + s.getNotNamespacesCount() + s.getRemoteIpBlocksCount()
        + s.getNotRemoteIpBlocksCount() + s.getServiceAccountsCount() + s.getNotServiceAccountsCount() > 0;
  }

  /** Checks one operation; returns whether it names ports (the only TCP attribute). */
  static boolean operation(Issues issues, Operation op, int rule) {
    if (op.equals(Operation.getDefaultInstance())) {
      issues.error("`to.operation` must not be empty, found at rule " + rule);
    }
    ports(issues, op.getPortsList());
    ports(issues, op.getNotPortsList());
    empty(issues, "Ports", op.getPortsList());
    empty(issues, "Methods", op.getMethodsList());
    empty(issues, "Paths", op.getPathsList());
    empty(issues, "Hosts", op.getHostsList());
    empty(issues, "NotPorts", op.getNotPortsList());
    empty(issues, "NotMethods", op.getNotMethodsList());
    empty(issues, "NotPaths", op.getNotPathsList());
    empty(issues, "NotHosts", op.getNotHostsList());
    return op.getPortsCount() + op.getNotPortsCount() > 0;
  }

  static void condition(Issues issues, Condition c) {
    String key = c.getKey();
    if (key.isEmpty()) {
      issues.error("`key` must not be empty");
      return;
    }
    if (c.getValuesCount() == 0 && c.getNotValuesCount() == 0) {
      issues.error("at least one of `values` or `notValues` must be set for key " + key);
      return;
    }
    attribute(key, c.getValuesList()).ifPresent(e -> issues.error("invalid `value` for `key` " + key + ": " + e));
    attribute(key, c.getNotValuesList()).ifPresent(e -> issues.error("invalid `notValue` for `key` " + key + ": " + e));
  }

  private static Optional<String> attribute(String key, List<String> values) {
    if (values.contains("")) {
      return Optional.of("empty value not allowed, found in " + key);
    }
    if (key.startsWith("request.headers") || key.startsWith("request.auth.claims")
        || key.startsWith("experimental.envoy.filters.")) {
      int open = key.indexOf('[');
      return key.endsWith("]") && open > 0 && open < key.length() - 2
          ? Optional.empty() : Optional.of("bad key (" + key + "): should have format a[b]");
    }
    return switch (key) {
      case "source.ip", "remote.ip", "destination.ip" -> firstIpError(values);
      case "destination.port" -> values.stream().filter(v -> !isPort(v)).findFirst()
          .map(v -> "bad port (" + v + ")");
      case "source.namespace", "source.principal", "source.serviceAccount", "source.trustDomain",
          "request.auth.principal", "request.auth.audiences", "request.auth.presenter", "connection.sni" ->
          Optional.empty();
      case "destination.namespace" -> Optional.of("attribute " + key + " is replaced by the metadata.namespace");
      case "destination.name", "destination.user" ->
          Optional.of("deprecated attribute " + key + ": only supported in v1alpha1");
      default -> key.startsWith("destination.labels")
          ? Optional.of("attribute " + key + " is replaced by the workload selector")
          : Optional.of("unknown attribute: " + key);
    };
  }

  private static Optional<String> firstIpError(List<String> values) {
    for (String v : values) {
      if (v.contains("/") ? !Addresses.isCidr(v) : !Addresses.isIp(v)) {
        return Optional.of(v.contains("/") ? "bad CIDR range (" + v + ")" : "bad IP address (" + v + ")");
      }
    }
    return Optional.empty();
  }

  private static void ips(Issues issues, List<String> values) {
    firstIpError(values).ifPresent(issues::error);
  }

  private static boolean isPort(String v) {
    try {
      long p = Long.parseLong(v);
      return p >= 0 && p <= 65535 && !v.startsWith("+") && !v.startsWith("-");
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static void ports(Issues issues, List<String> ports) {
    for (String p : ports) {
      if (!isPort(p)) {
        issues.error("bad port (" + p + ")");
      }
    }
  }

  private static void empty(Issues issues, String key, List<String> values) {
    if (values.contains("")) {
      issues.error("empty value not allowed, found in " + key);
    }
  }

  private static void wildcards(Issues issues, String key, List<String> values, boolean trustDomain) {
    for (String v : values) {
      if (v.isEmpty()) {
        issues.error("empty value not allowed, found in " + key);
        return;
      }
      long stars = v.chars().filter(c -> c == '*').count();
      if (stars > 1) {
        issues.error("at most one wildcard is allowed, found in " + key + ": " + q(v));
        return;
      }
      if (stars == 1 && !v.equals("*") && !v.startsWith("*") && !v.endsWith("*")) {
        issues.error("wildcard is only allowed at the start or end, found in " + key + ": " + q(v));
        return;
      }
      if (trustDomain && v.contains("/")) {
        issues.error("trust domain must not contain '/', found in " + key + ": " + q(v));
        return;
      }
    }
  }

  private static void serviceAccounts(Issues issues, String key, List<String> values) {
    if (values.size() > 16) {
      issues.error("may not have more than 16 values");
      return;
    }
    for (String v : values) {
      if (v.isEmpty()) {
        issues.error("empty value not allowed, found in " + key);
        return;
      }
      if (v.contains("*")) {
        issues.error("wildcard not allowed, found in " + key);
        return;
      }
      long slashes = v.chars().filter(c -> c == '/').count();
      if (slashes > 1) {
        issues.error("expected format 'serviceAccount' or 'namespace/serviceAccount', found " + q(v) + " in " + key);
        return;
      }
      if (v.length() > 320) {
        issues.error("value cannot exceed 320 characters, found " + q(v) + " in " + key);
        return;
      }
      if (v.startsWith("/")) {
        issues.error("expected format 'serviceAccount' or 'namespace/serviceAccount', found empty namespace "
            + q(v) + " in " + key);
        return;
      }
      if (v.endsWith("/")) {
        issues.error("expected format 'serviceAccount' or 'namespace/serviceAccount', found empty serviceAccount "
            + q(v) + " in " + key);
        return;
      }
    }
  }
}
