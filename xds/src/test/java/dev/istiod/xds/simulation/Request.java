package dev.istiod.xds.simulation;

import java.util.ArrayList;
import java.util.Deque;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An HTTP request as the router sees it, after the connection manager's rewrites (host port
 * stripping, path normalisation). Pseudo-headers are answered from the request line.
 */
record Request(String authority, String path, String method, String scheme, Map<String, List<String>> headers,
    boolean tls, boolean clientCertificate) {

  /** A header's value; repeated headers are joined with "," as Envoy does before matching. */
  Optional<String> header(String name) {
    return switch (name) {
      case ":authority" -> Optional.of(authority);
      case ":path" -> Optional.of(path);
      case ":method" -> Optional.of(method);
      case ":scheme" -> Optional.of(scheme);
      default -> {
        List<String> values = headers.get(name);
        yield values == null || values.isEmpty() ? Optional.empty() : Optional.of(String.join(",", values));
      }
    };
  }

  /** The path without query string or fragment. */
  String pathOnly() {
    int q = path.indexOf('?');
    int h = path.indexOf('#');
    int end = q < 0 ? (h < 0 ? path.length() : h) : (h < 0 ? q : Math.min(q, h));
    return path.substring(0, end);
  }

  /** The query string after '?' ("" if none). */
  String query() {
    int q = path.indexOf('?');
    if (q < 0) {
      return "";
    }
    int h = path.indexOf('#', q);
    return path.substring(q + 1, h < 0 ? path.length() : h);
  }

  /** The first value of a query parameter; empty string for a bare key ({@code ?debug}). */
  Optional<String> queryParameter(String name) {
    for (String pair : query().split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      if (key.equals(name)) {
        return Optional.of(eq < 0 ? "" : pair.substring(eq + 1));
      }
    }
    return Optional.empty();
  }

  /**
   * RFC 3986 dot-segment removal (and backslashes as slashes), as the connection manager's
   * {@code normalize_path} does; {@code mergeSlashes} also collapses repeated slashes. The query
   * string is kept as it is.
   */
  static String normalize(String path, boolean normalize, boolean mergeSlashes) {
    int q = path.indexOf('?');
    String p = q < 0 ? path : path.substring(0, q);
    String rest = q < 0 ? "" : path.substring(q);
    if (normalize) {
      p = p.replace('\\', '/');
      Deque<String> out = new ArrayDeque<>();
      String[] segments = p.split("/", -1);
      for (int i = 1; i < segments.length; i++) {
        String seg = segments[i];
        boolean last = i == segments.length - 1;
        if (seg.equals(".")) {
          if (last) {
            out.addLast("");
          }
        } else if (seg.equals("..")) {
          if (!out.isEmpty()) {
            out.removeLast();
          }
          if (last) {
            out.addLast("");
          }
        } else {
          out.addLast(seg);
        }
      }
      p = "/" + String.join("/", new ArrayList<>(out));
    }
    if (mergeSlashes) {
      p = p.replaceAll("/{2,}", "/");
    }
    return p + rest;
  }
}
