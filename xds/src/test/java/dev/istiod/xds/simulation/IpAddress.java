package dev.istiod.xds.simulation;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * IP literals and CIDR containment, without ever resolving a name (InetAddress is only handed
 * strings already known to be literals).
 */
final class IpAddress {
  private static final Pattern V4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern V6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

  private IpAddress() {}

  static boolean isLiteral(String s) {
    if (V4.matcher(s).matches()) {
      for (String part : s.split("\\.")) {
        if (Integer.parseInt(part) > 255) {
          return false;
        }
      }
      return true;
    }
    return V6.matcher(s).matches();
  }

  static byte[] bytes(String literal) {
    if (!isLiteral(literal)) {
      throw new IllegalArgumentException("not an IP address: " + literal);
    }
    try {
      return InetAddress.getByName(literal).getAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IP address: " + literal, e);
    }
  }

  static boolean isV4(String literal) {
    return bytes(literal).length == 4;
  }

  static boolean isWildcard(String literal) {
    byte[] b = bytes(literal);
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  static boolean isLoopback(String literal) {
    byte[] b = bytes(literal);
    if (b.length == 4) {
      return b[0] == 127;
    }
    for (int i = 0; i < 15; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return b[15] == 1;
  }

  static boolean same(String a, String b) {
    return java.util.Arrays.equals(bytes(a), bytes(b));
  }

  /** Whether {@code address} lies in {@code prefix/len}; families must agree. */
  static boolean inRange(String address, String prefix, int len) {
    byte[] a = bytes(address);
    byte[] p = bytes(prefix);
    if (a.length != p.length) {
      return false;
    }
    int full = len / 8;
    for (int i = 0; i < full; i++) {
      if (a[i] != p[i]) {
        return false;
      }
    }
    int rest = len % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (a[full] & mask) == (p[full] & mask);
  }
}
