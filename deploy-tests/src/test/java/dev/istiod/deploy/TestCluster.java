package dev.istiod.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A real kube-apiserver (with etcd) on loopback, started and stopped by tools/kube/cluster.sh; the binaries come
 * from -Dkube.bin, $KUBE_BIN or tools/kube/install.sh (cached). No controller manager: nothing here needs one.
 */
final class TestCluster implements AutoCloseable {
  static final Duration INSTALL_BOUND = Duration.ofMinutes(60);
  static final Duration START_BOUND = Duration.ofMinutes(3);
  static final Duration KUBECTL_BOUND = Duration.ofSeconds(90);

  private final Path dir;
  private final Path binDir;
  private final Map<String, String> env;
  private final Thread stopOnExit;

  private TestCluster(Path dir, Path binDir, Map<String, String> env, Thread stopOnExit) {
    this.dir = dir;
    this.binDir = binDir;
    this.env = env;
    this.stopOnExit = stopOnExit;
  }

  static TestCluster start(Path dir) {
    Path binDir = binDir();
    Thread stopOnExit = new Thread(() -> script(binDir, "stop", dir.toString()), "stop-test-cluster");
    Runtime.getRuntime().addShutdownHook(stopOnExit);
    Command.Result started = script(binDir, "start", "--no-controller-manager", dir.toString());
    if (!started.ok()) {
      script(binDir, "stop", dir.toString());
      throw new AssertionError("the test cluster did not start:\n" + started.describe());
    }
    return new TestCluster(dir, binDir, readEnv(dir.resolve("cluster.env")), stopOnExit);
  }

  Path kubeconfig() {
    return dir.resolve("kubeconfig");
  }

  String apiServerUrl() {
    return env.get("KUBE_APISERVER_URL");
  }

  Path caCertificate() {
    return dir.resolve("certs/ca.crt");
  }

  /** The environment for clients of this cluster (helm, kubectl): KUBECONFIG. */
  Map<String, String> clientEnv() {
    return Map.of("KUBECONFIG", kubeconfig().toString());
  }

  /** {@code kubectl <args>} as the cluster admin, with {@code stdin} as standard input (or none). */
  Command.Result kubectl(String stdin, String... args) {
    List<String> command = new ArrayList<>(List.of(binDir.resolve("kubectl").toString(),
        "--kubeconfig", kubeconfig().toString(), "--request-timeout=30s"));
    command.addAll(List.of(args));
    return Command.run(command, Map.of(), stdin, KUBECTL_BOUND);
  }

  @Override
  public void close() {
    Command.Result stopped = script(binDir, "stop", dir.toString());
    if (!stopped.ok()) {
      System.err.println("stopping the test cluster failed:\n" + stopped.describe());
    }
    try {
      Runtime.getRuntime().removeShutdownHook(stopOnExit);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs already; stopping twice is harmless
    }
  }

  private static Command.Result script(Path binDir, String... args) {
    List<String> command = new ArrayList<>(List.of("bash", Repo.script("tools/kube/cluster.sh").toString()));
    command.addAll(List.of(args));
    return Command.run(command, Map.of("KUBE_BIN", binDir.toString()), null, START_BOUND);
  }

  private static Path binDir() {
    String configured = System.getProperty("kube.bin", "");
    if (configured.isBlank()) {
      configured = System.getenv().getOrDefault("KUBE_BIN", "");
    }
    if (!configured.isBlank()) {
      return Path.of(configured);
    }
    Command.Result result = Command.run(List.of("bash", Repo.script("tools/kube/install.sh").toString()), Map.of(),
        null, INSTALL_BOUND);
    if (!result.ok() || result.stdout().isBlank()) {
      throw new IllegalStateException("tools/kube/install.sh failed:\n" + result.describe());
    }
    return Path.of(result.stdout().strip().lines().reduce((first, second) -> second).orElseThrow());
  }

  /** The {@code export NAME='value'} lines cluster.sh writes. */
  private static Map<String, String> readEnv(Path file) {
    Map<String, String> env = new LinkedHashMap<>();
    try {
      for (String line : Files.readAllLines(file)) {
        if (line.startsWith("export ") && line.contains("=")) {
          String name = line.substring("export ".length(), line.indexOf('='));
          env.put(name, line.substring(line.indexOf('=') + 1).replaceAll("^'|'$", ""));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cluster.sh wrote no " + file, e);
    }
    return Map.copyOf(env);
  }
}
