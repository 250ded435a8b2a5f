package dev.istiod.main;

import java.net.InetSocketAddress;

/** Parses Go-style listen addresses: {@code :15010}, {@code 127.0.0.1:0}, {@code [::1]:8080}. */
final class Addresses {
  private Addresses() {}

  /** Returns null for an empty address (the server is disabled, as upstream). */
  static InetSocketAddress parse(String flag, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    int colon = value.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException(flag + ": missing port in address \"" + value + "\"");
    }
    String host = value.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(value.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + ": invalid port in address \"" + value + "\"");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(flag + ": invalid port in address \"" + value + "\"");
    }
    return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
  }
}
