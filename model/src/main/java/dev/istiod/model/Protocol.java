package dev.istiod.model;

import java.util.Locale;

/** Application protocol of a service port, as Istio infers it from names and appProtocol. */
public enum Protocol {
  GRPC, GRPC_WEB, HTTP, HTTP_PROXY, HTTP2, HTTPS, TCP, TLS, UDP, MONGO, REDIS, MYSQL,
  /** Not declared: Istio sniffs it on sidecars (treated as TCP where sniffing is off). */
  UNSUPPORTED;

  /**
   * Parses a protocol name as Istio does: case-insensitive, unknown names are UNSUPPORTED.
   */
  public static Protocol parse(String s) {
    if (s == null) {
      return UNSUPPORTED;
    }
    return switch (s.toLowerCase(Locale.ROOT)) {
      case "tcp" -> TCP;
      case "udp" -> UDP;
      case "grpc" -> GRPC;
      case "grpc-web" -> GRPC_WEB;
      case "http" -> HTTP;
      case "http_proxy" -> HTTP_PROXY;
      case "http2" -> HTTP2;
      case "https" -> HTTPS;
      case "tls" -> TLS;
      case "mongo" -> MONGO;
      case "redis" -> REDIS;
      case "mysql" -> MYSQL;
      default -> UNSUPPORTED;
    };
  }

  /** Protocol from a Kubernetes port name such as {@code http-web} or {@code grpc}. */
  public static Protocol fromPortName(String name) {
    if (name == null || name.isEmpty()) {
      return UNSUPPORTED;
    }
    int dash = name.indexOf('-');
    return parse(dash < 0 ? name : name.substring(0, dash));
  }

  public boolean isHttp() {
    return switch (this) {
      case HTTP, HTTP2, GRPC, GRPC_WEB, HTTP_PROXY -> true;
      default -> false;
    };
  }

  public boolean isHttp2() {
    return this == HTTP2 || this == GRPC || this == GRPC_WEB;
  }

  public boolean isTcp() {
    return switch (this) {
      case TCP, HTTPS, TLS, MONGO, REDIS, MYSQL -> true;
      default -> false;
    };
  }

  public boolean isTls() {
    return this == HTTPS || this == TLS;
  }

  public boolean isUnsupported() {
    return this == UNSUPPORTED;
  }
}
