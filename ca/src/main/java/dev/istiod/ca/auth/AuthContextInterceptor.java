package dev.istiod.ca.auth;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.SocketAddress;
import javax.net.ssl.SSLSession;

/**
 * Puts the call's TLS session, headers and peer address into the gRPC {@link Context}, where
 * {@link AuthRequest#current()} finds them. Install it on every server whose services
 * authenticate callers (15012: the CA and ADS).
 */
public final class AuthContextInterceptor implements ServerInterceptor {
  static final Context.Key<SSLSession> SSL_SESSION = Context.key("istiod-ssl-session");
  static final Context.Key<Metadata> HEADERS = Context.key("istiod-request-headers");
  static final Context.Key<String> REMOTE_ADDRESS = Context.key("istiod-remote-address");

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    Context ctx = Context.current()
        .withValue(SSL_SESSION, session)
        .withValue(HEADERS, headers)
        .withValue(REMOTE_ADDRESS, remote == null ? "" : remote.toString());
    return Contexts.interceptCall(ctx, call, headers, next);
  }
}
