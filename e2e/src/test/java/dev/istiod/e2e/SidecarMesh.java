package dev.istiod.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
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
 * istiod on a config directory the test writes, and one upstream Envoy sidecar without traffic capture
 * ({@link SidecarNode#client()}), for tests that bring their own Istio YAML and workloads (TCP, TLS, HTTP
 * backends on loopback addresses). Closing it stops istiod with SIGTERM (requiring a clean exit), then Envoy
 * and every backend registered with {@link #own}.
 */
final class SidecarMesh implements AutoCloseable {
  static final Duration CONVERGENCE_BOUND = Duration.ofSeconds(60);

  private final Path workDir;
  private final ConfigDir config;
  private final List<AutoCloseable> owned = new ArrayList<>();
  private IstiodProcess istiod;
  private EnvoyProcess envoy;

  SidecarMesh(Path workDir) {
    this.workDir = workDir;
    this.config = new ConfigDir(workDir);
  }

  /**
   * Runs {@code bindAll} with a port that was free on 127.0.0.1 a moment ago (the Envoy listener's); it binds the
   * backends on that port at their own loopback addresses, proving it free there. A bind race is retried.
   */
  static <T> T onFreePort(java.util.function.IntFunction<T> bindAll) {
    UncheckedIOException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      try {
        return bindAll.apply(Ports.freeLoopbackPort());
      } catch (UncheckedIOException e) {
        if (!(e.getCause() instanceof java.net.BindException)) {
          throw e;
        }
        last = e;
      }
    }
    throw new IllegalStateException("no port free on every backend address", last);
  }

  Path workDir() {
    return workDir;
  }

  ConfigDir config() {
    return config;
  }

  /** Closes {@code resource} with the mesh. */
  <T extends AutoCloseable> T own(T resource) {
    owned.add(resource);
    return resource;
  }

  /** Starts istiod on the files written so far, then the sidecar; returns once Envoy is LIVE. */
  SidecarMesh start(AdsMode mode) {
    return start(mode, List.of());
  }

  /** As {@link #start(AdsMode)}, with more istiod {@code discovery} flags (e.g. {@code --meshConfig FILE}). */
  SidecarMesh start(AdsMode mode, List<String> istiodArgs) {
    istiod = IstiodProcess.start(config.path(), workDir, Map.of(), istiodArgs);
    envoy = EnvoyProcess.startSidecar(workDir, SidecarNode.client(), mode, istiod.grpcPort());
    return this;
  }

  IstiodProcess istiod() {
    return istiod;
  }

  EnvoyProcess envoy() {
    return envoy;
  }

  /** Retries {@code assertion} until it holds: config reaches Envoy asynchronously. */
  void await(String what, ThrowingConsumer<SidecarMesh> assertion) {
    org.awaitility.Awaitility.await(what)
        .atMost(CONVERGENCE_BOUND)
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> assertion.accept(this));
  }

  /**
   * Envoy rejected nothing (every update_rejected stat is 0, with CDS and LDS subscribed) and istiod saw no
   * NACK: pilot_total_xds_rejects is 0 and syncz shows the proxy acked everything without errors.
   */
  void assertNoRejects() {
    Map<String, Long> rejected = envoy.stats("update_rejected$");
    assertThat(rejected).as("Envoy update_rejected stats").containsKeys(
        "cluster_manager.cds.update_rejected", "listener_manager.lds.update_rejected");
    assertThat(rejected).as("Envoy update_rejected stats that are not 0 (see envoy.log)")
        .allSatisfy((name, value) -> assertThat(value).as(name).isZero());
    assertThat(istiod.metric("pilot_total_xds_rejects")).as("istiod pilot_total_xds_rejects").isZero();
    String proxyId = SidecarNode.client().proxyId();
    org.awaitility.Awaitility.await("syncz shows " + proxyId + " acked everything").atMost(CONVERGENCE_BOUND)
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> {
          JsonNode proxy = SynczView.entryFor(istiod.syncz(), proxyId);
          assertThat(SynczView.errors(proxy)).as("NACK errors recorded by istiod").isEmpty();
          assertThat(SynczView.unacked(proxy)).as("types sent but not acked").isEmpty();
        });
  }

  private void saveDiagnostics() {
    if (envoy != null && envoy.isAlive()) {
      save("envoy-config_dump.json", () -> envoy.admin("/config_dump?include_eds").body());
      save("envoy-stats.txt", () -> envoy.admin("/stats").body());
      save("envoy-clusters.txt", () -> envoy.admin("/clusters").body());
    }
    if (istiod != null && istiod.isAlive()) {
      save("istiod-syncz.json", () -> istiod.get(istiod.httpUri("/debug/syncz")).body());
      save("istiod-config_dump.json", () -> istiod.configDump(SidecarNode.client().proxyId()).body());
    }
  }

  private void save(String fileName, Supplier<String> content) {
    try {
      Files.writeString(workDir.resolve(fileName), content.get(), StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      // Diagnostics must never hide the test's own outcome.
    }
  }

  @Override
  public void close() {
    AssertionError failure = null;
    saveDiagnostics();
    if (istiod != null) {
      try {
        int code = istiod.stop();
        if (!Mesh.CLEAN_EXIT_CODES.contains(code)) {
          failure = new AssertionError("istiod exited with code " + code + " after SIGTERM:\n" + istiod.logTail(40));
        }
      } finally {
        istiod.close();
      }
    }
    List<AutoCloseable> rest = new ArrayList<>();
    if (envoy != null) {
      rest.add(envoy);
    }
    rest.addAll(owned);
    for (AutoCloseable c : rest) {
      try {
        c.close();
      } catch (Exception e) {
        if (failure != null) {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
