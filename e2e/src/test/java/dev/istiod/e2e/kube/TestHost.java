package dev.istiod.e2e.kube;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * A test host for workloads that need non-loopback addresses (Pod and EndpointSlice IPs may not be loopback):
 * a network namespace joined to this machine by a veth pair, made by tools/kube/netns.sh. Each host owns one
 * 10.250.S.0/24 (S picked free under a machine-wide lock, so concurrent test runs never collide): its main
 * address is 10.250.S.2 (this machine's end is 10.250.S.1), extra addresses are 10.250.S.10, .11, ...
 * Workloads are {@link EchoServer}s started inside it. Closing it stops them and removes the namespace; a JVM
 * shutdown hook does the same if the run is killed, and the next allocation removes hosts whose JVM died.
 */
public final class TestHost implements AutoCloseable {
  static final Duration SETUP_BOUND = Duration.ofSeconds(30);
  private static final Path STATE_DIR = Path.of(System.getProperty("java.io.tmpdir"), "istiod-java-testhosts");
  private static final Pattern NAME = Pattern.compile("ijt(\\d+)");
  private static final Pattern TEST_NET_OCTET = Pattern.compile("\\b10\\.250\\.(\\d+)\\.\\d+");
  /** 10.250.255.0/24 is left out: cluster.sh advertises 10.250.255.254 as the API server's address. */
  private static final int SLOTS = 255;

  private final String name;
  private final int slot;
  private final List<String> extraAddresses;
  private final List<EchoServer> servers = new ArrayList<>();
  private final Thread removeOnExit;

  private TestHost(String name, int slot, List<String> extraAddresses) {
    this.name = name;
    this.slot = slot;
    this.extraAddresses = List.copyOf(extraAddresses);
    this.removeOnExit = new Thread(this::remove, "remove-" + name);
    Runtime.getRuntime().addShutdownHook(removeOnExit);
  }

  /** Creates a host with its main address and {@code extraAddresses} more (e.g. one per Pod it stands for). */
  public static TestHost create(int extraAddresses) {
    try {
      Files.createDirectories(STATE_DIR);
      try (FileChannel channel = FileChannel.open(STATE_DIR.resolve(".lock"), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE); FileLock ignored = channel.lock()) {
        removeOrphans();
        int slot = freeSlot();
        String name = "ijt" + slot;
        List<String> extras = IntStream.range(0, extraAddresses).mapToObj(i -> "10.250." + slot + "." + (10 + i))
            .toList();
        List<String> command = new ArrayList<>(List.of("bash", KubeTools.script("netns.sh").toString(), "up", name,
            "10.250." + slot + ".2"));
        command.addAll(extras);
        Command.run(command, Map.of(), null, SETUP_BOUND).orFail();
        Files.writeString(STATE_DIR.resolve(name + ".owner"), Long.toString(ProcessHandle.current().pid()));
        return new TestHost(name, slot, extras);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot allocate a test host", e);
    }
  }

  public static TestHost create() {
    return create(0);
  }

  public String name() {
    return name;
  }

  /** The host's main address (10.250.S.2). */
  public String address() {
    return "10.250." + slot + ".2";
  }

  /** This machine's end of the veth pair (10.250.S.1): where the host reaches the machine. */
  public String machineAddress() {
    return "10.250." + slot + ".1";
  }

  public List<String> extraAddresses() {
    return extraAddresses;
  }

  /** Every address workloads can bind: the main one, then the extras. */
  public List<String> addresses() {
    return Stream.concat(Stream.of(address()), extraAddresses.stream()).toList();
  }

  /** Starts an {@link EchoServer} named {@code serverName} on {@code address:port} inside this host. */
  public EchoServer serve(String serverName, String address, int port, Path logDir) {
    if (!addresses().contains(address)) {
      throw new IllegalArgumentException(address + " is not an address of " + name + " " + addresses());
    }
    EchoServer server = EchoServer.start(this, serverName, address, port, logDir);
    servers.add(server);
    return server;
  }

  /** Runs a command inside the host, to completion. */
  public Command.Result exec(List<String> command, Duration bound) {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
    full.addAll(command);
    return Command.run(full, Map.of(), null, bound);
  }

  /**
   * Lets this host reach the other test hosts' addresses, and answer them, as Pods reach each other's IPs: a
   * route to 10.250.0.0/16 through this machine's end of the veth pair, and IPv4 forwarding for packets arriving
   * on that end only (Linux decides forwarding by the incoming interface, so the machine's other interfaces and
   * the global {@code ip_forward} stay as they are). Both ends of a conversation need it.
   */
  public void routeToOtherHosts() {
    Path forwarding = Path.of("/proc/sys/net/ipv4/conf", "vh-" + name, "forwarding");
    try {
      Files.writeString(forwarding, "1\n", StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot enable forwarding on " + forwarding + " (test hosts need root)", e);
    }
    exec(List.of("ip", "route", "replace", "10.250.0.0/16", "via", machineAddress()), SETUP_BOUND).orFail();
  }

  /** True when a TCP connection from this machine to {@code address:port} succeeds. */
  static boolean accepts(String address, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(address, port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Stops its servers and removes the namespace. Idempotent. */
  @Override
  public void close() {
    remove();
    try {
      Runtime.getRuntime().removeShutdownHook(removeOnExit);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running already.
    }
  }

  private synchronized void remove() {
    servers.forEach(EchoServer::close);
    servers.clear();
    down(name);
  }

  private static void down(String hostName) {
    Command.Result result = Command.run(List.of("bash", KubeTools.script("netns.sh").toString(), "down", hostName),
        Map.of(), null, SETUP_BOUND);
    if (!result.ok()) {
      System.err.println("removing test host " + hostName + " failed:\n" + result.describe());
    }
    try {
      Files.deleteIfExists(STATE_DIR.resolve(hostName + ".owner"));
    } catch (IOException ignored) {
      // A stale owner file only makes the next allocation check a dead PID.
    }
  }

  /** Removes test hosts whose owning JVM is gone (a run killed before its shutdown hooks ran). */
  private static void removeOrphans() throws IOException {
    try (Stream<Path> files = Files.list(STATE_DIR)) {
      for (Path owner : files.filter(p -> p.getFileName().toString().endsWith(".owner")).toList()) {
        String hostName = owner.getFileName().toString().replace(".owner", "");
        long pid = Long.parseLong(Files.readString(owner, StandardCharsets.UTF_8).strip());
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
          continue;
        }
        down(hostName);
      }
    }
  }

  /** The lowest S whose 10.250.S.0/24 no namespace, address or route on this machine uses. */
  private static int freeSlot() throws IOException {
    Set<Integer> used = new HashSet<>();
    Path netnsDir = Path.of("/run/netns");
    if (Files.isDirectory(netnsDir)) {
      try (Stream<Path> names = Files.list(netnsDir)) {
        names.map(p -> NAME.matcher(p.getFileName().toString()))
            .filter(Matcher::matches)
            .forEach(m -> used.add(Integer.parseInt(m.group(1))));
      }
    }
    for (List<String> listing : List.of(List.of("ip", "-o", "-4", "addr", "show"), List.of("ip", "-4", "route", "show"))) {
      Matcher m = TEST_NET_OCTET.matcher(Command.run(listing, Map.of(), null, SETUP_BOUND).orFail().stdout());
      while (m.find()) {
        used.add(Integer.parseInt(m.group(1)));
      }
    }
    return IntStream.range(0, SLOTS).filter(s -> !used.contains(s)).findFirst()
        .orElseThrow(() -> new IllegalStateException("all 10.250.S.0/24 test-host slots are in use"));
  }

  @Override
  public String toString() {
    return "TestHost[" + name + " " + addresses() + "]";
  }

  /** Waits (bounded) until {@code address:port} accepts connections from this machine. */
  static void awaitAccepting(String what, String address, int port, ProcessHandle server) {
    await(what + " accepting on " + address + ":" + port)
        .atMost(SETUP_BOUND)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> {
          if (!server.isAlive()) {
            throw new AssertionError(what + " exited before it accepted connections");
          }
          return accepts(address, port);
        });
  }
}
