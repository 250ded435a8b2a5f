package dev.istiod.xds.server;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** Carries the client's transport address into the service method, for debug output and logs. */
final class PeerAddress implements ServerInterceptor {
  static final PeerAddress INTERCEPTOR = new PeerAddress();
  private static final Context.Key<String> KEY = Context.key("xds-peer-address");
  /** Upstream's placeholder when the transport has no peer. */
  private static final String UNKNOWN = "0.0.0.0";

  private PeerAddress() {}

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    return Contexts.interceptCall(Context.current().withValue(KEY, format(remote)), call, headers, next);
  }

  /** The peer of the call being started on this thread. */
  static String current() {
    String s = KEY.get();
    return s == null ? UNKNOWN : s;
  }

  static String format(SocketAddress address) {
    if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
      String host = inet.getAddress().getHostAddress();
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + inet.getPort();
    }
    return address == null ? UNKNOWN : address.toString();
  }
}
