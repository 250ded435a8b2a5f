package dev.istiod.xds.grpcgen;

import java.util.Optional;

/**
 * A {@code host:port} pair as gRPC writes listener names ({@code [v6]:port} for IPv6), joined
 * and split like Go's {@code net.JoinHostPort}/{@code SplitHostPort}, which upstream uses.
 */
record HostPort(String host, int port) {

  static Optional<HostPort> parse(String s) {
    int colon = s.lastIndexOf(':');
    if (colon <= 0 || colon == s.length() - 1) {
      return Optional.empty();
    }
    String host = s.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      return Optional.empty(); // a bare IPv6 address, no port
    }
    String portText = s.substring(colon + 1);
    if (host.isEmpty() || !portText.chars().allMatch(Character::isDigit) || portText.length() > 5) {
      return Optional.empty();
    }
    int port = Integer.parseInt(portText);
    return port < 1 || port > 65535 ? Optional.empty() : Optional.of(new HostPort(host, port));
  }

  static String join(String host, int port) {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  @Override
  public String toString() {
    return join(host, port);
  }
}
