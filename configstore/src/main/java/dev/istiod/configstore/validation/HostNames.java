package dev.istiod.configstore.validation;

import static dev.istiod.configstore.validation.Issues.q;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * DNS names as Istio accepts them in hosts fields: RFC 1123 labels, FQDNs, a wildcard first
 * label, and the {@code namespace/host} form of Sidecar and Gateway hosts.
 */
final class HostNames {
  static final int DNS1123_LABEL_MAX = 63;
  private static final String LABEL = "[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?";
  private static final Pattern DNS1123_LABEL = Pattern.compile("^" + LABEL + "$");
  private static final Pattern WILDCARD_LABEL = Pattern.compile("^(\\*|(\\*|\\*-)?" + LABEL + ")$");

  private HostNames() {}

  static boolean isDns1123Label(String value) {
    return value.length() <= DNS1123_LABEL_MAX && DNS1123_LABEL.matcher(value).matches();
  }

  static boolean isWildcardDns1123Label(String value) {
    return value.length() <= DNS1123_LABEL_MAX && WILDCARD_LABEL.matcher(value).matches();
  }

  private static Optional<String> preconditions(String name) {
    if (name.length() > 255) {
      return Optional.of("domain name " + q(name) + " too long (max 255)");
    }
    if (name.isEmpty()) {
      return Optional.of("empty domain name not allowed");
    }
    return Optional.empty();
  }

  static Optional<String> dns1123Labels(String domain) {
    String[] parts = domain.split("\\.", -1);
    String top = parts[parts.length - 1];
    if (!top.isEmpty() && top.chars().allMatch(Character::isDigit)) {
      return Optional.of("domain name " + q(domain) + " invalid (top level domain " + q(top)
          + " cannot be all-numeric)");
    }
    for (int i = 0; i < parts.length; i++) {
      // A trailing dot ("istio.io.") is an unambiguous absolute name.
      if (i == parts.length - 1 && parts[i].isEmpty()) {
        return Optional.empty();
      }
      if (!isDns1123Label(parts[i])) {
        return Optional.of("domain name " + q(domain) + " invalid (label " + q(parts[i]) + " invalid)");
      }
    }
    return Optional.empty();
  }

  static Optional<String> fqdn(String name) {
    return preconditions(name).or(() -> dns1123Labels(name));
  }

  /** An FQDN whose first label may be a wildcard ({@code *}, {@code *.foo.com}, {@code *-x.foo}). */
  static Optional<String> wildcardDomain(String domain) {
    Optional<String> pre = preconditions(domain);
    if (pre.isPresent()) {
      return pre;
    }
    int dot = domain.indexOf('.');
    String first = dot < 0 ? domain : domain.substring(0, dot);
    if (!isWildcardDns1123Label(first)) {
      return Optional.of("domain name " + q(domain) + " invalid (label " + q(first) + " invalid)");
    }
    return dot < 0 ? Optional.empty() : dns1123Labels(domain.substring(dot + 1));
  }

  /**
   * Hosts of a VirtualService bound to a gateway: with SNI matches, the auto-generated
   * {@code outbound_.<port>_._.<host>} form of AUTO_PASSTHROUGH is also allowed.
   */
  static Optional<String> wildcardDomainForGatewayVirtualService(boolean sni, String domain) {
    Optional<String> pre = preconditions(domain);
    if (pre.isPresent()) {
      return pre;
    }
    if (sni && domain.startsWith("outbound_")) {
      String format = "outbound_.<PORT>_._.<HOSTNAME>";
      String[] parts = domain.split("_", -1);
      if (parts.length < 4) {
        return Optional.of("domain name " + domain + " invalid, should follow '" + format + "' format");
      }
      String port = trimDots(parts[1]);
      String host = trimDots(parts[3]);
      if (!port.matches(".*[0-9].*")) {
        return Optional.of("domain name " + q(domain) + " invalid (label " + q(port)
            + " invalid). should follow " + format + " format");
      }
      if (!host.matches(".*[a-zA-Z].*")) {
        return Optional.of("domain name " + q(domain) + " invalid (label " + q(host)
            + " invalid). should follow " + format + " format");
      }
      return Optional.empty();
    }
    return wildcardDomain(domain);
  }

  private static String trimDots(String s) {
    int b = 0;
    int e = s.length();
    while (b < e && s.charAt(b) == '.') {
      b++;
    }
    while (e > b && s.charAt(e - 1) == '.') {
      e--;
    }
    return s.substring(b, e);
  }

  static Optional<String> partialWildcard(String host) {
    if (host.contains("*") && host.length() != 1 && !host.startsWith("*.")) {
      return Optional.of("partial wildcard " + q(host) + " not allowed");
    }
    return Optional.empty();
  }

  /** The {@code ns/host} entries of Sidecar egress hosts and Gateway server hosts. */
  static List<String> namespaceSlashHost(String hostname, boolean isGateway, boolean gatewaySemantics) {
    List<String> errs = new ArrayList<>();
    int slash = hostname.indexOf('/');
    if (slash < 0) {
      if (isGateway) {
        // Old style host in a Gateway, without namespace.
        return hostPart(hostname, true);
      }
      errs.add("host must be of form namespace/dnsName");
      return errs;
    }
    String ns = hostname.substring(0, slash);
    String dns = hostname.substring(slash + 1);
    if (ns.isEmpty() || dns.isEmpty()) {
      errs.add("config namespace and dnsName in host entry cannot be empty");
    }
    if (!isGateway) {
      String plain = ns.startsWith("~") ? ns.substring(1) : ns;
      if (!plain.isEmpty() && !plain.equals("*") && !plain.equals(".") && !isDns1123Label(plain)) {
        errs.add("invalid namespace value " + q(ns) + " in sidecar");
      }
    } else if (!ns.equals("*") && !ns.equals(".") && (!ns.equals("~") || !gatewaySemantics)) {
      if (!isDns1123Label(ns)) {
        errs.add("invalid namespace value " + q(ns) + " in gateway");
      }
    }
    errs.addAll(hostPart(dns, isGateway));
    return errs;
  }

  private static List<String> hostPart(String hostname, boolean isGateway) {
    List<String> errs = new ArrayList<>();
    if (!hostname.equals("*") && !hostname.contains(".")) {
      errs.add("short names (non FQDN) are not allowed");
    }
    Optional<String> err = wildcardDomain(hostname);
    if (err.isPresent()) {
      if (!isGateway) {
        errs.add(err.get());
      }
      // Gateways also accept an IP address as the host.
      if (!Addresses.isIp(hostname)) {
        errs.add(err.get());
      }
    }
    partialWildcard(hostname).ifPresent(errs::add);
    return errs;
  }

  static boolean isWildcarded(String host) {
    return !host.isEmpty() && host.charAt(0) == '*';
  }

  /** True if the two host patterns can match a common name (upstream's host.Name.Matches). */
  static boolean matches(String a, String b) {
    boolean aw = isWildcarded(a);
    boolean bw = isWildcarded(b);
    if (aw) {
      if (bw) {
        return a.length() < b.length()
            ? b.substring(1).endsWith(a.substring(1))
            : a.substring(1).endsWith(b.substring(1));
      }
      return b.endsWith(a.substring(1));
    }
    if (bw) {
      return a.endsWith(b.substring(1));
    }
    return a.equals(b);
  }

  /** True if every name {@code a} matches is also matched by {@code b}. */
  static boolean subsetOf(String a, String b) {
    boolean aw = isWildcarded(a);
    boolean bw = isWildcarded(b);
    if (aw) {
      return bw && a.length() >= b.length() && a.substring(1).endsWith(b.substring(1));
    }
    if (bw) {
      return a.endsWith(b.substring(1));
    }
    return a.equals(b);
  }
}
