package dev.istiod.e2e.kube;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager) on loopback for one test
 * class, started and stopped by tools/kube/cluster.sh. Register it as a static extension:
 * <pre>{@code @RegisterExtension static final KubeCluster cluster = KubeCluster.perClass();}</pre>
 * It starts before the class's first test and stops after its last, whatever happened in between (a JVM
 * shutdown hook covers a killed test run). Its files, logs included, stay in e2e/target/e2e/<class>/cluster.
 */
public final class KubeCluster implements BeforeAllCallback, AfterAllCallback, AutoCloseable {
  static final Duration START_BOUND = Duration.ofMinutes(3);
  static final Duration KUBECTL_BOUND = Duration.ofSeconds(90);
  static final String ISTIO_CRDS = "deploy/charts/base/files/crd-all.gen.yaml";
  static final List<String> COMPONENTS = List.of("etcd", "kube-apiserver", "kube-controller-manager");

  private final boolean controllerManager;
  private Path dir;
  private Map<String, String> clusterEnv = Map.of();
  private Thread stopOnExit;

  private KubeCluster(boolean controllerManager) {
    this.controllerManager = controllerManager;
  }

  /** etcd, kube-apiserver and kube-controller-manager (namespace, GC, service-account, EndpointSlice controllers). */
  public static KubeCluster perClass() {
    return new KubeCluster(true);
  }

  /** etcd and kube-apiserver only: nothing writes EndpointSlices or deletes namespaces but the test. */
  public static KubeCluster perClassWithoutControllerManager() {
    return new KubeCluster(false);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    start(KubeTools.outputDir().resolve(context.getRequiredTestClass().getSimpleName()).resolve("cluster"));
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  /** Starts a fresh cluster in {@code clusterDir} (stopping and deleting whatever an earlier run left there). */
  public void start(Path clusterDir) {
    if (dir != null) {
      throw new IllegalStateException("cluster already started in " + dir);
    }
    Path binDir = KubeTools.binDir();
    if (Files.isDirectory(clusterDir)) {
      script(List.of("stop", clusterDir.toString()), START_BOUND);
      deleteRecursively(clusterDir);
    }
    dir = clusterDir.toAbsolutePath();
    stopOnExit = new Thread(this::stopAll, "stop-kube-cluster");
    Runtime.getRuntime().addShutdownHook(stopOnExit);
    List<String> args = new ArrayList<>(List.of("start"));
    if (!controllerManager) {
      args.add("--no-controller-manager");
    }
    args.add(dir.toString());
    Command.Result result = Command.run(scriptCommand(args), Map.of("KUBE_BIN", binDir.toString()), null, START_BOUND);
    if (!result.ok()) {
      String logs = logTails(60);
      close();
      throw new AssertionError("the test cluster did not start:\n" + result.describe() + logs);
    }
    clusterEnv = readEnv(dir.resolve("cluster.env"));
  }

  public Path dir() {
    return dir;
  }

  public Path kubeconfig() {
    return dir.resolve("kubeconfig");
  }

  public URI apiServerUrl() {
    return URI.create(clusterEnv.get("KUBE_APISERVER_URL"));
  }

  public Path caCertificate() {
    return dir.resolve("certs/ca.crt");
  }

  /** The environment a client of this cluster (istiod, kubectl) needs: KUBECONFIG. */
  public Map<String, String> clientEnv() {
    return Map.of("KUBECONFIG", kubeconfig().toString());
  }

  public Path logFile(String component) {
    return dir.resolve("logs").resolve(component + ".log");
  }

  /** Runs the machine's kubectl (the version matching the API server) on this cluster; fails on non-zero exit. */
  public Command.Result kubectl(String... args) {
    return tryKubectl(args).orFail();
  }

  /** Like {@link #kubectl}, but returns a failed result instead of throwing (for commands expected to fail). */
  public Command.Result tryKubectl(String... args) {
    return kubectlWithInput(null, args);
  }

  /** {@code kubectl apply -f -} of the given manifests; fails with kubectl's message if it rejects them. */
  public Command.Result apply(String yaml) {
    return kubectlWithInput(yaml, "apply", "-f", "-").orFail();
  }

  /** The project's Istio CRDs (deploy/), applied with kubectl as a user would; returns once they are established. */
  public Command.Result installIstioCrds() {
    Path crds = KubeTools.repoRoot().resolve(ISTIO_CRDS);
    Command.Result applied = kubectl("apply", "-f", crds.toString());
    kubectl("wait", "--for=condition=Established", "--timeout=60s", "-f", crds.toString());
    return applied;
  }

  /** {@code kubectl <args>} with {@code stdin} as standard input (e.g. "create", "-f", "-"). */
  public Command.Result kubectlWithInput(String stdin, String... args) {
    List<String> command = new ArrayList<>(List.of(KubeTools.binDir().resolve("kubectl").toString(),
        "--kubeconfig", kubeconfig().toString(), "--request-timeout=30s"));
    command.addAll(List.of(args));
    return Command.run(command, Map.of(), stdin, KUBECTL_BOUND);
  }

  /** Stops one component (e.g. "kube-apiserver") with SIGTERM, as a crash or an upgrade would take it away. */
  public void stop(String component) {
    if (!COMPONENTS.contains(component)) {
      throw new IllegalArgumentException("unknown component " + component + "; one of " + COMPONENTS);
    }
    script(List.of("stop", dir.toString(), component), START_BOUND).orFail();
  }

  /** Starts every stopped component again on the same ports, certificates and etcd data; waits for readiness. */
  public void restart() {
    List<String> args = new ArrayList<>(List.of("start"));
    if (!controllerManager) {
      args.add("--no-controller-manager");
    }
    args.add(dir.toString());
    Command.Result result = script(args, START_BOUND);
    if (!result.ok()) {
      throw new AssertionError("the test cluster did not come back:\n" + result.describe() + logTails(60));
    }
  }

  /** The last lines of every component's log, for failure messages. */
  public String logTails(int lines) {
    StringBuilder out = new StringBuilder();
    for (String component : COMPONENTS) {
      Path log = logFile(component);
      if (dir == null || !Files.isRegularFile(log)) {
        continue;
      }
      try {
        List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
        out.append("\n===== ").append(log).append(" (last ").append(Math.min(lines, all.size())).append(" lines)\n");
        all.subList(Math.max(0, all.size() - lines), all.size()).forEach(line -> out.append(line).append('\n'));
      } catch (IOException e) {
        out.append("\n(cannot read ").append(log).append(": ").append(e).append(")\n");
      }
    }
    return out.toString();
  }

  /** Stops every component. Idempotent; the files stay for reading. */
  @Override
  public void close() {
    if (dir == null) {
      return;
    }
    stopAll();
    try {
      Runtime.getRuntime().removeShutdownHook(stopOnExit);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running already; stopping twice is harmless.
    }
    dir = null;
  }

  private void stopAll() {
    Path current = dir;
    if (current != null) {
      Command.Result result = script(List.of("stop", current.toString()), START_BOUND);
      if (!result.ok()) {
        System.err.println("stopping the test cluster failed:\n" + result.describe());
      }
    }
  }

  private Command.Result script(List<String> args, Duration bound) {
    return Command.run(scriptCommand(args), Map.of("KUBE_BIN", KubeTools.binDir().toString()), null, bound);
  }

  private static List<String> scriptCommand(List<String> args) {
    List<String> command = new ArrayList<>(List.of("bash", KubeTools.script("cluster.sh").toString()));
    command.addAll(args);
    return command;
  }

  /** Reads the {@code export NAME='value'} lines cluster.sh writes. */
  private static Map<String, String> readEnv(Path file) {
    Map<String, String> env = new LinkedHashMap<>();
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (line.startsWith("export ") && line.contains("=")) {
          String name = line.substring("export ".length(), line.indexOf('='));
          String value = line.substring(line.indexOf('=') + 1).replaceAll("^'|'$", "");
          env.put(name, value);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cluster.sh wrote no " + file, e);
    }
    return Map.copyOf(env);
  }

  private static void deleteRecursively(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root, e);
    }
  }

  @Override
  public String toString() {
    return "KubeCluster[" + dir + "]";
  }
}
