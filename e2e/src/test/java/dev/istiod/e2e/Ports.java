package dev.istiod.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free TCP ports on loopback for the processes a test starts.
 *
 * <p>Ports come from below the kernel's ephemeral range (32768+ by default) on purpose: a port the
 * kernel hands out for {@code bind(0)} is also what it hands out as the source port of outgoing
 * connections, so between choosing such a port and Envoy binding it, any client connection (Envoy
 * to istiod, a test's HTTP call) can take it and Envoy then NACKs the listener with "Address
 * already in use". A port below the range is only ever taken by an explicit bind.
 */
public final class Ports {
  private static final int LOW = 20000;
  private static final int HIGH = 32000;
  /** Ports handed out in this JVM, never handed out twice. */
  private static final Set<Integer> GIVEN = ConcurrentHashMap.newKeySet();

  private Ports() {}

  /** Returns {@code count} distinct ports that were free on 127.0.0.1 a moment ago. */
  public static List<Integer> freeLoopbackPorts(int count) {
    List<Integer> out = new ArrayList<>();
    for (int attempt = 0; out.size() < count && attempt < 10_000; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(LOW, HIGH);
      if (GIVEN.contains(port) || !bindable(port)) {
        continue;
      }
      if (GIVEN.add(port)) {
        out.add(port);
      }
    }
    if (out.size() < count) {
      throw new UncheckedIOException(new IOException("no free loopback port in " + LOW + "-" + HIGH));
    }
    return List.copyOf(out);
  }

  public static int freeLoopbackPort() {
    return freeLoopbackPorts(1).getFirst();
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
