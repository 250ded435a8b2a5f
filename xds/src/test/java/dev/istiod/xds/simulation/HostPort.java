package dev.istiod.xds.simulation;

/** Host header helpers with Envoy's rule for where a port starts (IPv6 literals are bracketed). */
final class HostPort {
  private HostPort() {}

  /** Index of the ':' before a port, or -1. */
  static int portStart(String host) {
    int colon = host.lastIndexOf(':');
    if (colon < 0) {
      return -1;
    }
    int v6End = host.lastIndexOf(']');
    if (v6End >= 0 && v6End > colon) {
      return -1;
    }
    if (v6End < 0 && host.indexOf(':') != colon) {
      return -1; // an unbracketed IPv6 literal has no port
    }
    return colon;
  }

  /** The host without its port; brackets of an IPv6 literal stay, as Envoy strips ports. */
  static String withoutPort(String host) {
    int i = portStart(host);
    return i < 0 ? host : host.substring(0, i);
  }

  /** The port written in a Host header, or -1. */
  static int port(String host) {
    int i = portStart(host);
    if (i < 0) {
      return -1;
    }
    try {
      return Integer.parseInt(host.substring(i + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
