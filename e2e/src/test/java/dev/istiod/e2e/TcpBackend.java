package dev.istiod.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

/**
 * A raw TCP workload for L4 tests, optionally speaking TLS with its own certificate: on every connection it
 * sends its name and a newline, then echoes back whatever it receives until the client closes. It counts the
 * connections it accepted, so a test can tell where bytes landed without any HTTP in between.
 */
final class TcpBackend implements AutoCloseable {
  private final String name;
  private final ServerSocket server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final AtomicInteger connections = new AtomicInteger();

  private TcpBackend(String name, ServerSocket server) {
    this.name = name;
    this.server = server;
    executor.execute(this::acceptLoop);
  }

  /** A plain TCP backend on {@code address:port}; throws UncheckedIOException(BindException) if taken. */
  static TcpBackend start(String name, String address, int port) {
    try {
      ServerSocket s = new ServerSocket();
      s.bind(new InetSocketAddress(InetAddress.getByName(address), port), 64);
      return new TcpBackend(name, s);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind TCP backend " + name + " on " + address + ":" + port, e);
    }
  }

  /** A TLS backend presenting {@code certificate} (its own key, any SNI accepted). */
  static TcpBackend startTls(String name, String address, int port, TestCertificate certificate) {
    try {
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(certificate.keyStore(), certificate.password());
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, null);
      SSLServerSocket s = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket();
      s.bind(new InetSocketAddress(InetAddress.getByName(address), port), 64);
      return new TcpBackend(name, s);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind TLS backend " + name + " on " + address + ":" + port, e);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("cannot set up TLS for backend " + name, e);
    }
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket socket = server.accept();
        executor.execute(() -> serve(socket));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket socket) {
    try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
      connections.incrementAndGet();
      out.write((name + "\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      byte[] buf = new byte[4096];
      for (int n; (n = in.read(buf)) > 0; ) {
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // The client went away; nothing to record.
    }
  }

  String name() {
    return name;
  }

  int connections() {
    return connections.get();
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException ignored) {
      // Closing a listening socket cannot lose data.
    }
    executor.shutdownNow();
  }

  @Override
  public String toString() {
    return name + "@" + server.getInetAddress().getHostAddress() + ":" + server.getLocalPort();
  }
}
