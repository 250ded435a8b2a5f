package dev.istiod.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/** Free ephemeral TCP ports on loopback, chosen by the kernel. */
final class Ports {
  private Ports() {}

  /**
   * Returns {@code count} distinct ports that were free on 127.0.0.1 a moment ago. All sockets stay open until
   * every port is chosen, so the kernel cannot hand out the same port twice.
   */
  static List<Integer> freeLoopbackPorts(int count) {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) {
        ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        sockets.add(socket);
      }
      return sockets.stream().map(ServerSocket::getLocalPort).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    } finally {
      for (ServerSocket socket : sockets) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // Closing a listening socket that never accepted cannot lose data.
        }
      }
    }
  }

  static int freeLoopbackPort() {
    return freeLoopbackPorts(1).getFirst();
  }
}
