package dev.istiod.xds.simulation;

import java.util.List;

/**
 * What Envoy knows about a connection when it picks a filter chain: the (restored) destination,
 * the source, and what listener filters detected. SNI and ALPN are empty when no inspector saw them.
 */
record Connection(String destinationAddress, int destinationPort, String sourceAddress, int sourcePort,
    String transportProtocol, String sni, List<String> alpn) {

  static final String RAW_BUFFER = "raw_buffer";
  static final String TLS = "tls";

  Connection {
    alpn = List.copyOf(alpn);
  }

  /** Envoy's "same IP or loopback" source type. */
  boolean localSource() {
    return IpAddress.isLoopback(sourceAddress) || IpAddress.same(sourceAddress, destinationAddress);
  }
}
