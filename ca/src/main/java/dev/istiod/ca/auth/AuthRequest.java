package dev.istiod.ca.auth;

import io.grpc.Context;
import io.grpc.Metadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLSession;

/**
 * What an authenticator may look at: the TLS session of the connection (absent on plaintext),
 * the request headers, and the peer address for logs. Built from the gRPC {@link Context} that
 * {@link AuthContextInterceptor} fills in.
 */
public record AuthRequest(Optional<SSLSession> tlsSession, Metadata headers, String remoteAddress) {
  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  public static final Metadata.Key<String> CLUSTER_ID = Metadata.Key.of("clusterid", Metadata.ASCII_STRING_MARSHALLER);
  static final String BEARER_PREFIX = "Bearer ";

  public AuthRequest {
    Objects.requireNonNull(tlsSession, "tlsSession");
    Objects.requireNonNull(headers, "headers");
    remoteAddress = remoteAddress == null ? "" : remoteAddress;
  }

  /** The request of the current gRPC call; requires {@link AuthContextInterceptor} on the server. */
  public static AuthRequest current() {
    Context c = Context.current();
    Metadata headers = AuthContextInterceptor.HEADERS.get(c);
    return new AuthRequest(Optional.ofNullable(AuthContextInterceptor.SSL_SESSION.get(c)),
        headers == null ? new Metadata() : headers, AuthContextInterceptor.REMOTE_ADDRESS.get(c));
  }

  /** The token of the first {@code authorization: Bearer <token>} header. */
  public Optional<String> bearerToken() {
    Iterable<String> values = headers.getAll(AUTHORIZATION);
    if (values == null) {
      return Optional.empty();
    }
    for (String v : values) {
      if (v.startsWith(BEARER_PREFIX)) {
        return Optional.of(v.substring(BEARER_PREFIX.length()));
      }
    }
    return Optional.empty();
  }

  /** The {@code ClusterID} header when sent exactly once, else "" (upstream's ExtractClusterID). */
  public String clusterId() {
    Iterable<String> values = headers.getAll(CLUSTER_ID);
    if (values == null) {
      return "";
    }
    List<String> all = new ArrayList<>();
    values.forEach(all::add);
    return all.size() == 1 ? all.get(0) : "";
  }
}
