package dev.istiod.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Pod's network: a network namespace with its own address (10.250.S.2; this machine's end 10.250.S.1, made by
 * tools/kube/netns.sh), in which the Pod's ports (the chart's 8080, 15010, ...) cannot collide with anything
 * else, and the {@code kubernetes} Service as a Pod sees it: {@value #SERVICE_HOST} (the address the test
 * cluster's serving certificate names), relayed to the API server's loopback port. The slot S is taken under the
 * same machine-wide lock as the e2e module's test hosts, from the top down, so that both never pick the same one.
 */
final class PodNetwork implements AutoCloseable {
  /** The ClusterIP of the {@code kubernetes} Service, as in KUBERNETES_SERVICE_HOST. */
  static final String SERVICE_HOST = "10.96.0.1";
  private static final Path STATE_DIR = Path.of(System.getProperty("java.io.tmpdir"), "istiod-java-testhosts");
  private static final Pattern TEST_NET_OCTET = Pattern.compile("\\b10\\.250\\.(\\d+)\\.\\d+");
  private static final Duration BOUND = Duration.ofSeconds(30);

  private final String name;
  private final int slot;
  private final ServerSocket relay;
  private final Thread removeOnExit;

  private PodNetwork(String name, int slot, ServerSocket relay) {
    this.name = name;
    this.slot = slot;
    this.relay = relay;
    this.removeOnExit = new Thread(this::remove, "remove-" + name);
    Runtime.getRuntime().addShutdownHook(removeOnExit);
  }

  /** A Pod network whose {@code kubernetes} Service leads to {@code apiServerPort} on this machine's loopback. */
  static PodNetwork create(int apiServerPort) {
    int slot;
    String name;
    try {
      Files.createDirectories(STATE_DIR);
      try (FileChannel channel = FileChannel.open(STATE_DIR.resolve(".lock"), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE); FileLock ignored = channel.lock()) {
        slot = freeSlot();
        name = "ijc" + slot;
        ip(List.of("bash", Repo.script("tools/kube/netns.sh").toString(), "up", name, "10.250." + slot + ".2"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make a Pod network", e);
    }
    try {
      // The Service address on this machine's end of the veth (gone with it), and the Pod's default route to it.
      ip(List.of("ip", "addr", "add", SERVICE_HOST + "/32", "dev", "vh-" + name));
      ip(List.of("ip", "netns", "exec", name, "ip", "route", "add", "default", "via", "10.250." + slot + ".1"));
      ServerSocket relay = new ServerSocket();
      relay.bind(new InetSocketAddress(InetAddress.getByName(SERVICE_HOST), 0));
      PodNetwork network = new PodNetwork(name, slot, relay);
      Thread.ofVirtual().name("relay-" + name).start(() -> network.relayTo(apiServerPort));
      return network;
    } catch (IOException | RuntimeException e) {
      Command.run(List.of("bash", Repo.script("tools/kube/netns.sh").toString(), "down", name), Map.of(), null,
          BOUND);
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
  }

  String name() {
    return name;
  }

  /** The Pod's IP. */
  String podIp() {
    return "10.250." + slot + ".2";
  }

  /** The port of the {@code kubernetes} Service, as in KUBERNETES_SERVICE_PORT. */
  int servicePort() {
    return relay.getLocalPort();
  }

  @Override
  public void close() {
    remove();
    try {
      Runtime.getRuntime().removeShutdownHook(removeOnExit);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs already
    }
  }

  private void remove() {
    try {
      relay.close();
    } catch (IOException ignored) {
      // the namespace goes anyway
    }
    Command.run(List.of("bash", Repo.script("tools/kube/netns.sh").toString(), "down", name), Map.of(), null, BOUND);
  }

  private void relayTo(int apiServerPort) {
    while (!relay.isClosed()) {
      try {
        Socket client = relay.accept();
        Socket server = new Socket("127.0.0.1", apiServerPort);
        Thread.ofVirtual().start(() -> pump(client, server));
        Thread.ofVirtual().start(() -> pump(server, client));
      } catch (IOException closedOrRefused) {
        // closed: the loop ends; refused: the client sees its connection closed, as with a down API server
      }
    }
  }

  private static void pump(Socket from, Socket to) {
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      in.transferTo(out);
    } catch (IOException closed) {
      // one side went away
    } finally {
      try {
        from.close();
        to.close();
      } catch (IOException ignored) {
        // nothing left to do
      }
    }
  }

  private static void ip(List<String> command) {
    Command.run(command, Map.of(), null, BOUND).orFail();
  }

  /** The highest S whose 10.250.S.0/24 no namespace, address or route on this machine uses (255 is cluster.sh's). */
  private static int freeSlot() {
    Set<Integer> used = new HashSet<>();
    for (List<String> listing : List.of(List.of("ip", "-o", "-4", "addr", "show"), List.of("ip", "-4", "route",
        "show"), List.of("ip", "netns", "list"))) {
      String text = Command.run(listing, Map.of(), null, BOUND).orFail().stdout();
      Matcher m = TEST_NET_OCTET.matcher(text);
      while (m.find()) {
        used.add(Integer.parseInt(m.group(1)));
      }
      Matcher names = Pattern.compile("\\bij[a-z](\\d+)\\b").matcher(text);
      while (names.find()) {
        used.add(Integer.parseInt(names.group(1)));
      }
    }
    for (int s = 254; s >= 0; s--) {
      if (!used.contains(s)) {
        return s;
      }
    }
    throw new IllegalStateException("all 10.250.S.0/24 test-host slots are in use");
  }
}
