package dev.istiod.xds.core.listener;

import dev.istiod.model.push.Hosts;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * CIDR arithmetic for filter chain matches: two chains conflict when their destination ranges
 * are the same network, however the user wrote it. Only IP literals are parsed, so nothing here
 * ever resolves a name.
 */
final class Cidrs {
  private Cidrs() {}

  /**
   * {@code 10.1.2.3/8} as {@code 10.0.0.0/8}; a bare IP as a full-length prefix; empty when the
   * text is not an IP or CIDR.
   */
  static Optional<String> masked(String cidr) {
    int slash = cidr.indexOf('/');
    String ip = slash < 0 ? cidr : cidr.substring(0, slash);
    if (!Hosts.isIpAddress(ip)) {
      return Optional.empty();
    }
    byte[] bytes;
    try {
      bytes = InetAddress.getByName(ip).getAddress(); // an IP literal: parsed, never looked up
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
    int bits = bytes.length * 8;
    int len = bits;
    if (slash >= 0) {
      try {
        len = Integer.parseInt(cidr.substring(slash + 1));
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
      if (len < 0 || len > bits) {
        return Optional.empty();
      }
    }
    for (int i = 0; i < bytes.length; i++) {
      int keep = Math.max(0, Math.min(8, len - i * 8));
      bytes[i] = (byte) (bytes[i] & (0xff << (8 - keep)));
    }
    try {
      return Optional.of(InetAddress.getByAddress(bytes).getHostAddress() + "/" + len);
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
  }

  /** True for a masked prefix of the unspecified address ({@code 0.0.0.0/n} or {@code ::/n}). */
  static boolean isUnspecified(String masked) {
    String ip = masked.substring(0, masked.indexOf('/'));
    return ip.equals("0.0.0.0") || ip.equals("0:0:0:0:0:0:0:0");
  }
}
