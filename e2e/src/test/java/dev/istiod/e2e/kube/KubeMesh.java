package dev.istiod.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.istiod.e2e.AdsMode;
import dev.istiod.e2e.EnvoyProcess;
import dev.istiod.e2e.HttpCall;
import dev.istiod.e2e.IstiodProcess;
import dev.istiod.e2e.SidecarNode;
import dev.istiod.e2e.SynczView;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.assertj.core.api.ThrowingConsumer;

/**
 * The scenario the Kubernetes-mode tests run in: one namespace of a {@link KubeCluster} with the project's CRDs
 * (and istio-system, as in every installation),
 * a {@link TestHost} (its Node object created) whose addresses the workloads use, istiod pointed at the cluster
 * with {@code KUBECONFIG} (and an empty --configDir), and one upstream Envoy sidecar ("client", on this machine)
 * that reaches every service through a Sidecar egress listener on 127.0.0.1:{@link #port()}. The client's xDS
 * goes through a {@link TcpRelay}, so istiod can be restarted under it. Closing it stops everything it started.
 */
final class KubeMesh implements AutoCloseable {
  static final Duration CONVERGENCE_BOUND = Duration.ofSeconds(60);
  static final String ISTIOD_NAMESPACE = "istio-system";

  private final KubeCluster cluster;
  private final Path workDir;
  private final String namespace;
  private final TestHost host;
  private final int port;
  private final List<EchoServer> servers = new ArrayList<>();
  private final SidecarNode client;
  private TcpRelay xdsRelay;
  private IstiodProcess istiod;
  private EnvoyProcess envoy;

  private KubeMesh(KubeCluster cluster, Path workDir, String namespace, TestHost host, int port) {
    this.cluster = cluster;
    this.workDir = workDir;
    this.namespace = namespace;
    this.host = host;
    this.port = port;
    this.client = new SidecarNode("client-1", namespace, "127.0.0.1", "1.28.0", Map.of("app", "client"));
  }

  /**
   * Creates namespace {@code namespace} (with its Sidecar), a test host with {@code extraAddresses} extra
   * addresses, and starts istiod and the client Envoy. Applies the CRDs first (idempotent).
   */
  static KubeMesh start(KubeCluster cluster, Path workDir, String namespace, int extraAddresses) {
    cluster.installIstioCrds();
    TestHost host = TestHost.create(extraAddresses);
    KubeMesh mesh = null;
    try {
      mesh = new KubeMesh(cluster, workDir, namespace, host, freeLoopbackPort());
      // istiod's own namespace exists in every installation: its CA keeps its root in a Secret there.
      cluster.apply(KubeYaml.namespace(ISTIOD_NAMESPACE) + "---\n" + KubeYaml.namespace(namespace) + "---\n"
          + KubeYaml.node(host.name()) + "---\n" + KubeYaml.sidecar(namespace, mesh.port));
      mesh.startIstiod();
      mesh.xdsRelay = TcpRelay.start("127.0.0.1", mesh.istiod.grpcPort());
      mesh.envoy = EnvoyProcess.startSidecar(workDir, mesh.client, AdsMode.DELTA, mesh.xdsRelay.port());
      return mesh;
    } catch (RuntimeException | AssertionError e) {
      if (mesh != null) {
        mesh.close();
      } else {
        host.close();
      }
      throw e;
    }
  }

  /** A port free on 127.0.0.1 for the egress listener; the test host is a namespace of its own, free too. */
  private static int freeLoopbackPort() {
    return dev.istiod.e2e.Ports.freeLoopbackPort();
  }

  private void startIstiod() {
    Path configDir = workDir.resolve("config");
    try {
      Files.createDirectories(configDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    istiod = IstiodProcess.start(configDir, workDir, cluster.clientEnv());
  }

  KubeCluster cluster() {
    return cluster;
  }

  String namespace() {
    return namespace;
  }

  TestHost host() {
    return host;
  }

  /** The services' port: the egress listener's on 127.0.0.1 and the workloads' on the test host. */
  int port() {
    return port;
  }

  IstiodProcess istiod() {
    return istiod;
  }

  EnvoyProcess envoy() {
    return envoy;
  }

  SidecarNode client() {
    return client;
  }

  String host(String service) {
    return KubeYaml.host(service, namespace);
  }

  /** Starts an echo server named {@code name} on {@code address}:{@link #port()} inside the test host. */
  EchoServer serve(String name, String address) {
    EchoServer server = host.serve(name, address, port, workDir);
    servers.add(server);
    return server;
  }

  /** Creates a Pod on the test host and reports it running and ready at {@code ip}, as a kubelet would. */
  void runPod(String name, Map<String, String> labels, String ip) {
    cluster.apply(KubeYaml.pod(name, namespace, host.name(), labels, "default", port));
    cluster.kubectl("patch", "pod", name, "-n", namespace, "--subresource=status", "--type=merge",
        "-p", KubeYaml.runningStatus(ip));
  }

  /** One request for {@code service} (short name in this namespace, or a full host) through the client sidecar. */
  HttpCall.Reply send(String service) {
    String hostHeader = service.contains(".") ? service : host(service);
    return HttpCall.get("127.0.0.1", port, hostHeader, "/", Map.of());
  }

  /** Which workload answered each of {@code count} requests ("" where none did). */
  List<String> servedBy(String service, int count) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      names.add(send(service).servedBy());
    }
    return names;
  }

  /** Retries {@code assertion} until it holds, within {@link #CONVERGENCE_BOUND}. */
  void awaitTraffic(String what, ThrowingConsumer<KubeMesh> assertion) {
    await(what)
        .atMost(CONVERGENCE_BOUND)
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> assertion.accept(this));
  }

  /** Pushes istiod has sent, of one xDS type ("cds", "eds", "lds", "rds"): pilot_xds_pushes{type=...}. */
  double pushes(String type) {
    return Metrics.sample(istiod.metrics(), "pilot_xds_pushes", Map.of("type", type));
  }

  /** Envoy rejected nothing, and istiod recorded no NACK for the client. */
  void assertNoRejects() {
    assertThat(envoy.stats("update_rejected$")).as("Envoy update_rejected stats (see envoy.log)")
        .allSatisfy((name, value) -> assertThat(value).as(name).isZero());
    assertThat(istiod.metric("pilot_total_xds_rejects")).as("istiod pilot_total_xds_rejects").isZero();
    await("syncz shows the client acked everything").atMost(CONVERGENCE_BOUND)
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> {
          JsonNode proxy = SynczView.entryFor(istiod.syncz(), client.proxyId());
          assertThat(SynczView.errors(proxy)).as("NACKs recorded for the client").isEmpty();
          assertThat(SynczView.unacked(proxy)).as("types sent but not acked").isEmpty();
        });
  }

  /**
   * Stops istiod (SIGTERM) and starts a new one on the same cluster; the client's relay now leads to it, and
   * the client reconnects as it would to a restarted istiod.
   */
  void restartIstiod() {
    saveDiagnostics("before-restart-");
    istiod.stop();
    istiod.close();
    startIstiod();
    xdsRelay.retarget(istiod.grpcPort());
  }

  /** Writes what a person debugging a failure would look at next to the logs; best effort. */
  void saveDiagnostics(String prefix) {
    if (envoy != null && envoy.isAlive()) {
      save(prefix + "envoy-config_dump.json", () -> envoy.admin("/config_dump?include_eds").body());
      save(prefix + "envoy-clusters.txt", () -> envoy.admin("/clusters").body());
    }
    if (istiod != null && istiod.isAlive()) {
      save(prefix + "istiod-syncz.json", () -> istiod.get(istiod.httpUri("/debug/syncz")).body());
      save(prefix + "istiod-config_dump.json", () -> istiod.configDump(client.proxyId()).body());
      save(prefix + "istiod-metrics.txt", istiod::metrics);
    }
  }

  private void save(String fileName, Supplier<String> content) {
    try {
      Files.writeString(workDir.resolve(fileName), content.get(), StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      // Diagnostics must never hide the test's own outcome.
    }
  }

  /** Stops Envoy, istiod, the relay, the workloads and the test host, whatever happened before. */
  @Override
  public void close() {
    saveDiagnostics("");
    List<AutoCloseable> all = new ArrayList<>();
    if (envoy != null) {
      all.add(envoy);
    }
    if (istiod != null) {
      all.add(istiod);
    }
    if (xdsRelay != null) {
      all.add(xdsRelay);
    }
    all.addAll(servers);
    all.add(host);
    RuntimeException failure = null;
    for (AutoCloseable closeable : all) {
      try {
        closeable.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = new IllegalStateException("cleanup failed", e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
