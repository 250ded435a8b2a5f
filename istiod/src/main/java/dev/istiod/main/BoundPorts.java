package dev.istiod.main;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsServer;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.NetUtil;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Every listening socket istiod will serve on, bound before anything else starts (the CA, the config
 * load), so that a port clash ends start-up at once with the flag, the address and the reason
 * ({@code --grpcAddr :15010: address already in use}) instead of after seconds of work.
 *
 * <p>A bound socket accepts nothing until its server starts: connections that arrive meanwhile wait
 * in the kernel's backlog, as with upstream, which also listens before it serves. The gRPC sockets
 * are handed to Netty as already-bound channels ({@link #grpcChannel}); the HTTP ones are JDK
 * servers that are bound but not yet started.
 */
final class BoundPorts implements AutoCloseable {
  /** Raised when a socket cannot be bound; its message is the one line the user sees. */
  static final class BindFailure extends IOException {
    BindFailure(String flag, InetSocketAddress address, IOException cause) {
      super(flag + " " + goStyle(address) + ": " + reason(cause), cause);
    }
  }

  private final List<AutoCloseable> opened = new ArrayList<>();
  private ServerSocketChannel grpc;
  private ServerSocketChannel secureGrpc;
  private HttpServer http;
  private HttpsServer https;
  private HttpServer monitoring;

  private BoundPorts() {}

  /**
   * Binds the sockets of {@code options} that this configuration serves: the secure gRPC and
   * webhook ports only when istiod issues its own serving certificate (the CA is on and
   * {@code PILOT_CERT_PROVIDER=istiod}), as those servers need it.
   */
  static BoundPorts bind(IstiodOptions options) throws BindFailure {
    BoundPorts ports = new BoundPorts();
    Features f = options.features();
    boolean servesTls = f.enableCaServer() && "istiod".equals(f.pilotCertProvider());
    try {
      ports.grpc = ports.socket("--grpcAddr", options.grpcAddr());
      ports.secureGrpc = servesTls ? ports.socket("--secureGRPCAddr", options.secureGrpcAddr()) : null;
      ports.http = ports.http("--httpAddr", options.httpAddr(), false);
      ports.https = servesTls ? (HttpsServer) ports.http("--httpsAddr", options.httpsAddr(), true) : null;
      ports.monitoring = ports.http("--monitoringAddr", options.monitoringAddr(), false);
      return ports;
    } catch (BindFailure e) {
      ports.close();
      throw e;
    }
  }

  private ServerSocketChannel socket(String flag, InetSocketAddress address) throws BindFailure {
    if (address == null) {
      return null;
    }
    ServerSocketChannel channel = null;
    try {
      channel = ServerSocketChannel.open();
      channel.bind(address, NetUtil.SOMAXCONN);
      opened.add(channel);
      return channel;
    } catch (IOException e) {
      closeQuietly(channel);
      throw new BindFailure(flag, address, e);
    }
  }

  private HttpServer http(String flag, InetSocketAddress address, boolean tls) throws BindFailure {
    if (address == null) {
      return null;
    }
    try {
      HttpServer server = tls ? HttpsServer.create(address, 1024) : HttpServer.create(address, 64);
      opened.add(() -> server.stop(0));
      return server;
    } catch (IOException e) {
      throw new BindFailure(flag, address, e);
    }
  }

  /** The bound {@code --grpcAddr} socket as a Netty channel factory; null when that server is off. */
  ChannelFactory<ServerChannel> grpcChannel() {
    return prebound(grpc);
  }

  /** The bound {@code --secureGRPCAddr} socket; null when that server is off. */
  ChannelFactory<ServerChannel> secureGrpcChannel() {
    return prebound(secureGrpc);
  }

  InetSocketAddress grpcAddress() throws IOException {
    return (InetSocketAddress) grpc.getLocalAddress();
  }

  InetSocketAddress secureGrpcAddress() throws IOException {
    return (InetSocketAddress) secureGrpc.getLocalAddress();
  }

  HttpServer http() {
    return http;
  }

  HttpsServer https() {
    return https;
  }

  HttpServer monitoring() {
    return monitoring;
  }

  /** Closes what no server took over (on a failed start; a started server closes its own socket). */
  @Override
  public void close() {
    for (AutoCloseable c : opened) {
      closeQuietly(c);
    }
  }

  private static ChannelFactory<ServerChannel> prebound(ServerSocketChannel channel) {
    if (channel == null) {
      return null;
    }
    // One Netty channel per socket: the factory is asked once, when the server starts.
    return () -> new PreboundServerChannel(channel);
  }

  /** Netty's NIO server channel over a socket that is already bound: binding it again is a no-op. */
  private static final class PreboundServerChannel extends NioServerSocketChannel {
    PreboundServerChannel(ServerSocketChannel channel) {
      super(channel);
    }

    @Override
    protected void doBind(SocketAddress localAddress) {
      // Bound by BoundPorts.bind, with the backlog Netty would use.
    }
  }

  /** Go's rendering of a listen address: {@code :15010} for the wildcard address, else host:port. */
  static String goStyle(InetSocketAddress address) {
    if (address.getAddress() != null && address.getAddress().isAnyLocalAddress()) {
      return ":" + address.getPort();
    }
    String host = address.getHostString();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  /** "address already in use", "permission denied", ...: the OS reason in Go's lower case. */
  private static String reason(IOException e) {
    String message = e.getMessage();
    if (message == null || message.isBlank()) {
      return e instanceof BindException ? "cannot bind" : e.getClass().getSimpleName();
    }
    // The JDK appends the call ("Address already in use (Bind failed)") on some paths.
    int paren = message.indexOf(" (");
    String reason = paren > 0 ? message.substring(0, paren) : message;
    return reason.substring(0, 1).toLowerCase(Locale.ROOT) + reason.substring(1);
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception ignored) {
      // Nothing more to do with a socket that will not close.
    }
  }
}
