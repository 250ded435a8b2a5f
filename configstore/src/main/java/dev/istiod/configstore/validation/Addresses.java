package dev.istiod.configstore.validation;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * IP addresses, CIDR blocks and unix socket paths, parsed the way Go's {@code net/netip} does
 * (strict dotted quads, no DNS lookups ever).
 */
final class Addresses {
  static final String UNIX_PREFIX = "unix://";

  private Addresses() {}

  static boolean isIp(String s) {
    return isIpv4(s) || isIpv6(s);
  }

  static boolean isIpv4(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
        return false;
      }
      if (p.length() > 1 && p.charAt(0) == '0') {
        return false; // netip rejects leading zeros (ambiguous octal)
      }
      if (Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }

  static boolean isIpv6(String s) {
    String addr = s;
    int zone = s.indexOf('%');
    if (zone >= 0) {
      if (zone == s.length() - 1) {
        return false;
      }
      addr = s.substring(0, zone);
    }
    if (!addr.contains(":") || addr.startsWith("[")) {
      return false;
    }
    for (int i = 0; i < addr.length(); i++) {
      char c = addr.charAt(i);
      boolean ok = c == ':' || c == '.' || Character.digit(c, 16) >= 0;
      if (!ok) {
        return false;
      }
    }
    try {
      // With a ':' in it, InetAddress treats the text as an IPv6 literal: no DNS lookup.
      // IPv4-mapped forms (::ffff:1.2.3.4) come back as Inet4Address; both are valid IPv6 text.
      InetAddress.getByName(addr);
      return true;
    } catch (UnknownHostException | IllegalArgumentException e) {
      return false;
    }
  }

  static Optional<String> ipAddress(String addr) {
    return isIp(addr) ? Optional.empty() : Optional.of(addr + " is not a valid IP");
  }

  /** A CIDR block ({@code 10.0.0.0/8}, {@code 2001:db8::/32}) or a single address. */
  static Optional<String> ipSubnet(String subnet) {
    if (subnet.chars().filter(c -> c == '/').count() == 1) {
      return isCidr(subnet) ? Optional.empty() : Optional.of(subnet + " is not a valid CIDR block");
    }
    return ipAddress(subnet);
  }

  static boolean isCidr(String s) {
    int slash = s.indexOf('/');
    if (slash < 0) {
      return false;
    }
    String addr = s.substring(0, slash);
    String bits = s.substring(slash + 1);
    if (bits.isEmpty() || bits.length() > 3 || !bits.chars().allMatch(c -> c >= '0' && c <= '9')
        || (bits.length() > 1 && bits.charAt(0) == '0') || addr.contains("%")) {
      return false;
    }
    int n = Integer.parseInt(bits);
    if (isIpv4(addr)) {
      return n <= 32;
    }
    return isIpv6(addr) && n <= 128;
  }

  /** A unix domain socket path: absolute, not a directory, or an abstract {@code @name}. */
  static Optional<String> unixAddress(String addr) {
    if (addr.isEmpty()) {
      return Optional.of("unix address must not be empty");
    }
    if (addr.startsWith("@")) {
      return Optional.empty();
    }
    if (!addr.startsWith("/") || addr.endsWith("/")) {
      return Optional.of(addr + " is not an absolute path to a file");
    }
    return Optional.empty();
  }
}
