package dev.istiod.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.assertj.core.api.ThrowingConsumer;

/**
 * The scenario every traffic test runs in: istiod on a config directory describing "reviews" (v1, v2) and a
 * Sidecar egress listener, the three backends, and one upstream Envoy sidecar connected over the chosen ADS
 * flavour. Closing it stops istiod with SIGTERM while Envoy is still connected and checks that istiod exits
 * cleanly, then stops everything else — whatever happened before.
 */
final class Mesh implements AutoCloseable {
  static final SidecarNode NODE = SidecarNode.client();
  static final Map<String, String> PLAIN = Map.of();
  static final Map<String, String> JASON = Map.of("end-user", "jason");
  static final Duration CONVERGENCE_BOUND = Duration.ofSeconds(60);
  static final Set<Integer> CLEAN_EXIT_CODES = Set.of(0, 143);

  static final String SERVICE_FILE = "reviews.yaml";
  static final String SIDECAR_FILE = "sidecar.yaml";
  // No "reviews" in this name: tests look for log lines naming both the file and the object "reviews".
  static final String VIRTUAL_SERVICE_FILE = "routes.yaml";

  private final Path workDir;
  private final ConfigDir config;
  private final int port;
  private final List<Backend> backends;
  private IstiodProcess istiod;
  private EnvoyProcess envoy;

  private Mesh(Path workDir, int port, List<Backend> backends) {
    this.workDir = workDir;
    this.config = new ConfigDir(workDir);
    this.port = port;
    this.backends = List.copyOf(backends);
  }

  /** Starts the mesh with {@code virtualService} as the initial routing rule; returns once Envoy is LIVE. */
  static Mesh start(Path workDir, AdsMode mode, String virtualService) {
    Mesh mesh = withBackends(workDir);
    try {
      mesh.config.write(SERVICE_FILE, ReviewsYaml.serviceEntryAndDestinationRule(mesh.port));
      mesh.config.write(SIDECAR_FILE, ReviewsYaml.sidecar(mesh.port));
      mesh.config.write(VIRTUAL_SERVICE_FILE, virtualService);
      mesh.istiod = IstiodProcess.start(mesh.config.path(), workDir, Map.of());
      mesh.envoy = EnvoyProcess.startSidecar(workDir, NODE, mode, mesh.istiod.grpcPort());
      return mesh;
    } catch (RuntimeException | AssertionError e) {
      mesh.closeQuietly(e);
      throw e;
    }
  }

  /**
   * Picks one port for the service, the egress listener (127.0.0.1) and the backends (127.0.0.2-4). It was free on
   * 127.0.0.1 a moment ago; the backends' binds prove it on theirs. A few bounded retries cover a lost race.
   */
  private static Mesh withBackends(Path workDir) {
    BindException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      int port = Ports.freeLoopbackPort();
      List<Backend> started = new ArrayList<>();
      try {
        started.add(Backend.start("reviews-v1", "127.0.0.2", port));
        started.add(Backend.start("reviews-v2", "127.0.0.3", port));
        started.add(Backend.start("ratings", "127.0.0.4", port));
        return new Mesh(workDir, port, started);
      } catch (UncheckedIOException e) {
        started.forEach(Backend::close);
        if (!(e.getCause() instanceof BindException bind)) {
          throw e;
        }
        last = bind;
      }
    }
    throw new IllegalStateException("no port free on 127.0.0.2-4", last);
  }

  /** The reviews/ratings service port, which is also the egress listener's port and the backends'. */
  int port() {
    return port;
  }

  ConfigDir config() {
    return config;
  }

  IstiodProcess istiod() {
    return istiod;
  }

  EnvoyProcess envoy() {
    return envoy;
  }

  Backend v1() {
    return backends.get(0);
  }

  Backend v2() {
    return backends.get(1);
  }

  Backend ratings() {
    return backends.get(2);
  }

  /** One request to reviews through the sidecar's egress listener 127.0.0.1:port. */
  HttpCall.Reply send(Map<String, String> headers) {
    return sendTo(ReviewsYaml.HOST, headers);
  }

  HttpCall.Reply sendTo(String host, Map<String, String> headers) {
    return HttpCall.get("127.0.0.1", port, host, "/", headers);
  }

  /** Which backend answered each of {@code count} requests ("" for a reply no backend produced). */
  List<String> servedBy(int count, Map<String, String> headers) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      names.add(send(headers).servedBy());
    }
    return names;
  }

  /**
   * Retries {@code assertion} (which sends traffic) until it holds, within {@link #CONVERGENCE_BOUND}. Config
   * changes reach Envoy asynchronously; this is the bounded wait for them.
   */
  void awaitTraffic(String what, ThrowingConsumer<Mesh> assertion) {
    await(what)
        .atMost(CONVERGENCE_BOUND)
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> assertion.accept(this));
  }

  /**
   * Envoy rejected nothing it was sent (CDS, LDS, RDS and EDS update_rejected all 0, and those subscriptions
   * exist), and istiod saw no NACK: pilot_total_xds_rejects is 0 and syncz shows this proxy acked what it was
   * sent, with no error recorded.
   */
  void assertNoRejects() {
    Map<String, Long> rejected = envoy.stats("update_rejected$");
    assertThat(rejected).as("Envoy update_rejected stats").containsKeys(
        "cluster_manager.cds.update_rejected", "listener_manager.lds.update_rejected");
    assertThat(rejected.keySet()).as("Envoy has an RDS subscription").anyMatch(name -> name.contains(".rds."));
    assertThat(rejected.keySet()).as("Envoy has an EDS subscription").anyMatch(name -> name.startsWith("cluster.outbound|"));
    assertThat(rejected).as("Envoy update_rejected stats that are not 0 (see envoy.log)")
        .allSatisfy((name, value) -> assertThat(value).as(name).isZero());

    assertThat(istiod.metric("pilot_total_xds_rejects")).as("istiod pilot_total_xds_rejects").isZero();
    await("syncz shows " + NODE.proxyId() + " acked everything it was sent")
        .atMost(CONVERGENCE_BOUND)
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> {
          JsonNode proxy = SynczView.entryFor(istiod.syncz(), NODE.proxyId());
          assertThat(SynczView.errors(proxy)).as("NACK errors recorded by istiod for the proxy").isEmpty();
          assertThat(SynczView.unacked(proxy)).as("types sent but not (yet) acked").isEmpty();
        });
  }

  /** Writes what a person debugging a failure would look at next to the logs; best effort. */
  private void saveDiagnostics() {
    if (envoy != null && envoy.isAlive()) {
      save("envoy-config_dump.json", () -> envoy.admin("/config_dump?include_eds").body());
      save("envoy-stats.txt", () -> envoy.admin("/stats").body());
      save("envoy-clusters.txt", () -> envoy.admin("/clusters").body());
    }
    if (istiod != null && istiod.isAlive()) {
      save("istiod-syncz.json", () -> istiod.get(istiod.httpUri("/debug/syncz")).body());
      save("istiod-config_dump.json", () -> istiod.configDump(NODE.proxyId()).body());
      save("istiod-metrics.txt", () -> istiod.get(istiod.monitoringUri("/metrics")).body());
    }
  }

  private void save(String fileName, Supplier<String> content) {
    try {
      Files.writeString(workDir.resolve(fileName), content.get(), StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      // Diagnostics must never hide the test's own outcome.
    }
  }

  /**
   * Stops istiod with SIGTERM (Envoy still connected) and requires a clean exit within the bound, then stops
   * Envoy and the backends. Every process is stopped even if an earlier step fails.
   */
  @Override
  public void close() {
    AssertionError failure = null;
    saveDiagnostics();
    if (istiod != null) {
      try {
        int code = istiod.stop();
        if (!CLEAN_EXIT_CODES.contains(code)) {
          failure = new AssertionError("istiod exited with code " + code + " after SIGTERM:\n" + istiod.logTail(40));
        }
      } catch (AssertionError e) {
        failure = e;
      } finally {
        istiod.close();
      }
    }
    closeQuietly(null);
    if (failure != null) {
      throw failure;
    }
  }

  private void closeQuietly(Throwable primary) {
    List<AutoCloseable> all = new ArrayList<>();
    if (envoy != null) {
      all.add(envoy);
    }
    if (istiod != null) {
      all.add(istiod);
    }
    all.addAll(backends);
    for (AutoCloseable closeable : all) {
      try {
        closeable.close();
      } catch (Exception e) {
        if (primary != null) {
          primary.addSuppressed(e);
        }
      }
    }
  }
}
