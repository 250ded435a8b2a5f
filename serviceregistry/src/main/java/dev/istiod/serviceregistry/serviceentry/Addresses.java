package dev.istiod.serviceregistry.serviceentry;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Address checks the ServiceEntry registry needs, done on the literal text: nothing here ever
 * resolves a name, because a DNS lookup on the event thread would stall every other event.
 */
final class Addresses {
  /** Istio's prefix for Unix domain socket endpoints ({@code unix:///var/run/app.sock}). */
  static final String UNIX_PREFIX = "unix://";

  private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");

  private Addresses() {}

  static boolean isIpLiteral(String s) {
    return isIpv4(s) || isIpv6(s);
  }

  /**
   * A ServiceEntry {@code addresses} item as the service address, as upstream treats it: an IP
   * as is, a CIDR with a full-length mask as its plain IP, another CIDR as written; anything else
   * is not an address.
   */
  static Optional<String> serviceAddress(String s) {
    if (isIpLiteral(s)) {
      return Optional.of(s);
    }
    int slash = s.indexOf('/');
    if (slash <= 0) {
      return Optional.empty();
    }
    String ip = s.substring(0, slash);
    int maxBits = isIpv4(ip) ? 32 : isIpv6(ip) ? 128 : -1;
    int bits;
    try {
      bits = Integer.parseInt(s.substring(slash + 1));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    if (maxBits < 0 || bits < 0 || bits > maxBits) {
      return Optional.empty();
    }
    return Optional.of(bits == maxBits ? ip : s);
  }

  private static boolean isIpv4(String s) {
    var m = IPV4.matcher(s);
    if (!m.matches()) {
      return false;
    }
    for (int i = 1; i <= 4; i++) {
      if (Integer.parseInt(m.group(i)) > 255) {
        return false;
      }
    }
    return true;
  }

  private static boolean isIpv6(String s) {
    // Good enough to tell an IPv6 literal from a hostname: hostnames never contain ':'.
    return s.indexOf(':') >= 0 && IPV6.matcher(s).matches() && s.chars().filter(c -> c == ':').count() >= 2;
  }
}
