package dev.istiod.e2e.kube;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP forwarder in the test JVM from {@code listenAddress:port} to a target on loopback, standing in for the
 * path a proxy takes to istiod. It lets a proxy keep one xDS address across an istiod restart (retarget to the
 * new istiod; the proxy reconnects as it would to a rescheduled istiod), and lets an Envoy inside a test host
 * reach an istiod that listens on loopback only (listen on the host's machine-side address).
 */
public final class TcpRelay implements AutoCloseable {
  private final ServerSocket server;
  private final Thread acceptor;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private volatile int targetPort;

  private TcpRelay(ServerSocket server, int targetPort) {
    this.server = server;
    this.targetPort = targetPort;
    this.acceptor = Thread.ofVirtual().name("relay-accept-" + server.getLocalPort()).start(this::acceptLoop);
  }

  /** Listens on a free port of {@code listenAddress} and forwards each connection to 127.0.0.1:targetPort. */
  public static TcpRelay start(String listenAddress, int targetPort) {
    try {
      return new TcpRelay(new ServerSocket(0, 50, InetAddress.getByName(listenAddress)), targetPort);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + listenAddress, e);
    }
  }

  /** Like {@link #start(String, int)}, on a given port (e.g. 15012, where a Pod's sidecar expects istiod). */
  public static TcpRelay start(String listenAddress, int listenPort, int targetPort) {
    try {
      return new TcpRelay(new ServerSocket(listenPort, 50, InetAddress.getByName(listenAddress)), targetPort);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + listenAddress + ":" + listenPort, e);
    }
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Forwards new connections to 127.0.0.1:port and closes the current ones, so their clients reconnect. */
  public void retarget(int port) {
    targetPort = port;
    dropConnections();
  }

  /** Closes every relayed connection (both sides), as a restarted server would. */
  public void dropConnections() {
    for (Socket socket : open) {
      closeQuietly(socket);
    }
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      Socket upstream = new Socket();
      try {
        upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 2_000);
      } catch (IOException e) {
        closeQuietly(client);
        closeQuietly(upstream);
        continue; // the target is down: refuse, as it would
      }
      open.add(client);
      open.add(upstream);
      pump(client, upstream);
      pump(upstream, client);
    }
  }

  private void pump(Socket from, Socket to) {
    Thread.ofVirtual().start(() -> {
      byte[] buffer = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // Either side went away; close both below.
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    });
  }

  private void closeQuietly(Socket socket) {
    open.remove(socket);
    try {
      socket.close();
    } catch (IOException ignored) {
      // Already closed.
    }
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException ignored) {
      // Closing a listening socket cannot lose data.
    }
    dropConnections();
    try {
      acceptor.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
