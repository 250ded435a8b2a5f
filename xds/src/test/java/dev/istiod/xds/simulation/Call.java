package dev.istiod.xds.simulation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One connection (and, for HTTP, one request) a client makes through the proxy under simulation.
 * Immutable; every {@code with}-style method returns a copy. Start from a factory:
 * {@link #http}, {@link #http2}, {@link #https}, {@link #tcp} or {@link #tls}.
 *
 * <p>Defaults follow what a test rarely cares about: the destination address is an address no
 * listener binds ({@value #UNKNOWN_ADDRESS}) unless the authority is an IP literal, the path is
 * {@code /}, the method {@code GET}, and the call is captured outbound (iptables to 15001).
 *
 * @param mode how the connection reaches Envoy
 * @param protocol what the client speaks inside the (optional) TLS layer
 * @param transport plaintext, TLS, or TLS with a client certificate
 * @param address destination IP the client connects to
 * @param port destination port
 * @param authority HTTP {@code :authority} / Host ("" for non-HTTP calls)
 * @param method HTTP method
 * @param path HTTP {@code :path}, query string included
 * @param headers request headers by lower-case name (pseudo-headers are derived, not stored)
 * @param sni TLS server name ("" for none)
 * @param alpn ALPN protocols the client offers in its TLS handshake, in preference order
 * @param sourceAddress client IP
 * @param sourcePort client port
 */
public record Call(Mode mode, Protocol protocol, Transport transport, String address, int port, String authority,
    String method, String path, Map<String, List<String>> headers, String sni, List<String> alpn,
    String sourceAddress, int sourcePort) {

  /** A destination no listener binds: the call reaches per-port (0.0.0.0) listeners or the catch-all. */
  public static final String UNKNOWN_ADDRESS = "1.3.3.7";
  static final String DEFAULT_SOURCE = "10.244.0.99";

  /** How the connection reaches Envoy. */
  public enum Mode {
    /** The app connects anywhere; iptables redirects to 15001 (virtualOutbound, original destination kept). */
    OUTBOUND(15001),
    /** A peer connects to the workload; iptables redirects to 15006 (virtualInbound). */
    INBOUND(15006),
    /** No capture: the client connects to a socket Envoy binds (gateways, Sidecar captureMode NONE). */
    DIRECT(0);

    private final int capturePort;

    Mode(int capturePort) {
      this.capturePort = capturePort;
    }

    /** The port iptables redirects to (istio-iptables defaults); 0 for {@link #DIRECT}. */
    public int capturePort() {
      return capturePort;
    }
  }

  /** The application protocol inside the transport. */
  public enum Protocol { HTTP, HTTP2, TCP }

  /** The transport layer the client opens. */
  public enum Transport { PLAINTEXT, TLS, MUTUAL_TLS }

  public Call {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(transport, "transport");
    if (!IpAddress.isLiteral(Objects.requireNonNull(address, "address"))) {
      throw new IllegalArgumentException("destination must be an IP address (set the host as authority or sni): "
          + address);
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    authority = Objects.requireNonNull(authority, "authority");
    method = Objects.requireNonNull(method, "method");
    path = Objects.requireNonNull(path, "path");
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("path must start with '/': " + path);
    }
    Map<String, List<String>> copy = new LinkedHashMap<>();
    headers.forEach((k, v) -> copy.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
    headers = java.util.Collections.unmodifiableMap(copy);
    sni = Objects.requireNonNull(sni, "sni").toLowerCase(Locale.ROOT);
    alpn = List.copyOf(alpn);
    if (!IpAddress.isLiteral(Objects.requireNonNull(sourceAddress, "sourceAddress"))) {
      throw new IllegalArgumentException("source must be an IP address: " + sourceAddress);
    }
  }

  /** Plain HTTP/1.1 to {@code authority} on {@code port}. */
  public static Call http(String authority, int port) {
    return new Call(Mode.OUTBOUND, Protocol.HTTP, Transport.PLAINTEXT, addressFor(authority), port, authority,
        "GET", "/", Map.of(), "", List.of(), DEFAULT_SOURCE, 45000);
  }

  /** HTTP/2 with prior knowledge (h2c) to {@code authority} on {@code port}. */
  public static Call http2(String authority, int port) {
    return http(authority, port).protocol(Protocol.HTTP2);
  }

  /** HTTP/1.1 over TLS: SNI and authority are {@code host}, ALPN offers http/1.1. */
  public static Call https(String host, int port) {
    return new Call(Mode.OUTBOUND, Protocol.HTTP, Transport.TLS, addressFor(host), port, host, "GET", "/",
        Map.of(), host, List.of("http/1.1"), DEFAULT_SOURCE, 45000);
  }

  /** Raw TCP bytes to {@code address:port}. */
  public static Call tcp(String address, int port) {
    return new Call(Mode.OUTBOUND, Protocol.TCP, Transport.PLAINTEXT, address, port, "", "GET", "/", Map.of(), "",
        List.of(), DEFAULT_SOURCE, 45000);
  }

  /** An opaque TLS stream (the app does its own TLS) with SNI {@code sni}, no ALPN. */
  public static Call tls(String sni, int port) {
    return new Call(Mode.OUTBOUND, Protocol.TCP, Transport.TLS, addressFor(sni), port, "", "GET", "/", Map.of(),
        sni, List.of(), DEFAULT_SOURCE, 45000);
  }

  public Call mode(Mode newMode) {
    return new Call(newMode, protocol, transport, address, port, authority, method, path, headers, sni, alpn,
        sourceAddress, sourcePort);
  }

  /** Captured inbound (to 15006), as a peer calling this workload. */
  public Call inbound() {
    return mode(Mode.INBOUND);
  }

  /** Not captured: straight to a socket Envoy binds. */
  public Call direct() {
    return mode(Mode.DIRECT);
  }

  public Call protocol(Protocol newProtocol) {
    return new Call(mode, newProtocol, transport, address, port, authority, method, path, headers, sni, alpn,
        sourceAddress, sourcePort);
  }

  public Call transport(Transport newTransport) {
    return new Call(mode, protocol, newTransport, address, port, authority, method, path, headers, sni, alpn,
        sourceAddress, sourcePort);
  }

  public Call address(String newAddress) {
    return new Call(mode, protocol, transport, newAddress, port, authority, method, path, headers, sni, alpn,
        sourceAddress, sourcePort);
  }

  public Call port(int newPort) {
    return new Call(mode, protocol, transport, address, newPort, authority, method, path, headers, sni, alpn,
        sourceAddress, sourcePort);
  }

  public Call authority(String newAuthority) {
    return new Call(mode, protocol, transport, address, port, newAuthority, method, path, headers, sni, alpn,
        sourceAddress, sourcePort);
  }

  public Call method(String newMethod) {
    return new Call(mode, protocol, transport, address, port, authority, newMethod, path, headers, sni, alpn,
        sourceAddress, sourcePort);
  }

  /** The request path, query string included ({@code /api?debug=1}). */
  public Call path(String newPath) {
    return new Call(mode, protocol, transport, address, port, authority, method, newPath, headers, sni, alpn,
        sourceAddress, sourcePort);
  }

  /** Adds one value of a header (names are case-insensitive; repeated names keep every value). */
  public Call header(String name, String value) {
    Map<String, List<String>> copy = new LinkedHashMap<>(headers);
    List<String> values = new ArrayList<>(copy.getOrDefault(name.toLowerCase(Locale.ROOT), List.of()));
    values.add(value);
    copy.put(name.toLowerCase(Locale.ROOT), values);
    return new Call(mode, protocol, transport, address, port, authority, method, path, copy, sni, alpn,
        sourceAddress, sourcePort);
  }

  public Call sni(String newSni) {
    return new Call(mode, protocol, transport, address, port, authority, method, path, headers, newSni, alpn,
        sourceAddress, sourcePort);
  }

  public Call alpn(String... protocols) {
    return new Call(mode, protocol, transport, address, port, authority, method, path, headers, sni,
        List.of(protocols), sourceAddress, sourcePort);
  }

  public Call source(String newAddress, int newPort) {
    return new Call(mode, protocol, transport, address, port, authority, method, path, headers, sni, alpn,
        newAddress, newPort);
  }

  boolean isHttp() {
    return protocol != Protocol.TCP;
  }

  boolean isTls() {
    return transport != Transport.PLAINTEXT;
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder().append(mode).append(' ').append(protocol);
    if (isTls()) {
      s.append('+').append(transport).append(" sni=").append(sni.isEmpty() ? "-" : sni);
    }
    s.append(' ').append(address).append(':').append(port);
    if (isHttp()) {
      s.append(' ').append(method).append(' ').append(authority.isEmpty() ? "-" : authority).append(path);
      if (!headers.isEmpty()) {
        s.append(' ').append(headers);
      }
    }
    return s.toString();
  }

  private static String addressFor(String host) {
    String bare = HostPort.withoutPort(host);
    if (bare.startsWith("[") && bare.endsWith("]")) {
      bare = bare.substring(1, bare.length() - 1);
    }
    return IpAddress.isLiteral(bare) ? bare : UNKNOWN_ADDRESS;
  }
}
