package dev.istiod.e2e;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The real upstream Envoy from the PyPI wheel, started with a generated bootstrap. Its admin listener is on a
 * free loopback port; {@code --base-id} is that port, so concurrent instances never share hot-restart memory.
 * Its log goes to {@code workDir/envoy.log}.
 */
public final class EnvoyProcess implements AutoCloseable {
  static final Duration READY_BOUND = Duration.ofSeconds(60);

  private final ManagedProcess process;
  private final int adminPort;
  private final LocalHttp http = new LocalHttp();

  private EnvoyProcess(ManagedProcess process, int adminPort) {
    this.process = process;
    this.adminPort = adminPort;
  }

  /** Starts a sidecar that takes its config from istiod over ADS; returns once Envoy's admin says LIVE. */
  public static EnvoyProcess startSidecar(Path workDir, SidecarNode node, AdsMode mode, int istiodGrpcPort) {
    int adminPort = Ports.freeLoopbackPort();
    return start(workDir, EnvoyBootstrap.sidecar(node, mode, istiodGrpcPort, adminPort), adminPort);
  }

  /** Starts a gateway proxy (node type {@code router}) fed by istiod over ADS; returns once Envoy's admin says LIVE. */
  static EnvoyProcess startGateway(Path workDir, SidecarNode node, AdsMode mode, int istiodGrpcPort) {
    int adminPort = Ports.freeLoopbackPort();
    return start(workDir, EnvoyBootstrap.gateway(node, mode, istiodGrpcPort, adminPort), adminPort);
  }

  /** Starts an Envoy with a fixed config proxying 127.0.0.1:listenerPort to one upstream. */
  static EnvoyProcess startStatic(Path workDir, int listenerPort, String upstreamAddress, int upstreamPort) {
    int adminPort = Ports.freeLoopbackPort();
    return start(workDir, EnvoyBootstrap.staticProxy(listenerPort, upstreamAddress, upstreamPort, adminPort),
        adminPort);
  }

  /**
   * Starts an Envoy with a bootstrap the caller writes (e.g. ADS over TLS with a token), given the admin port it
   * must use; returns once Envoy's admin says LIVE.
   */
  public static EnvoyProcess startWithBootstrap(Path workDir, java.util.function.IntFunction<String> bootstrapForAdminPort) {
    int adminPort = Ports.freeLoopbackPort();
    return start(workDir, bootstrapForAdminPort.apply(adminPort), adminPort);
  }

  private static EnvoyProcess start(Path workDir, String bootstrap, int adminPort) {
    Path config = workDir.resolve("envoy-bootstrap.yaml");
    try {
      Files.createDirectories(workDir);
      Files.writeString(config, bootstrap, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> command = List.of(
        Toolchain.envoyBinary().toString(),
        "--config-path", config.toString(),
        "--base-id", Integer.toString(adminPort),
        "--concurrency", "1",
        "--log-level", "info",
        "--drain-time-s", "1",
        "--local-address-ip-version", "v4");
    ManagedProcess process = ManagedProcess.start("envoy", command, Map.of(), workDir.resolve("envoy.log"));
    EnvoyProcess envoy = new EnvoyProcess(process, adminPort);
    try {
      envoy.awaitLive();
    } catch (RuntimeException | AssertionError e) {
      process.close();
      throw e;
    }
    return envoy;
  }

  /**
   * Waits until Envoy finished initialising: for an ADS sidecar that means it received CDS (and the EDS the
   * clusters need) and LDS (and the RDS the listeners need), or gave up waiting on them.
   */
  private void awaitLive() {
    await("Envoy admin /ready on 127.0.0.1:" + adminPort)
        .atMost(READY_BOUND)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> {
          if (!process.isAlive()) {
            throw new AssertionError("Envoy exited with code " + process.exitCode().orElse(-1) + ":\n" + process.logTail(40));
          }
          return http.get(adminUri("/ready")).ok();
        });
  }

  public URI adminUri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + adminPort + pathAndQuery);
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public String log() {
    return process.log();
  }

  /** Counter and gauge values from admin {@code /stats} whose names match the regex {@code filter}. */
  public Map<String, Long> stats(String filter) {
    String body = http.getOk(adminUri("/stats?filter=" + URLEncoder.encode(filter, StandardCharsets.UTF_8)));
    Map<String, Long> stats = new LinkedHashMap<>();
    for (String line : body.lines().toList()) {
      int colon = line.lastIndexOf(": ");
      if (colon < 0) {
        continue;
      }
      String value = line.substring(colon + 2).trim();
      if (value.matches("-?\\d+")) {
        stats.put(line.substring(0, colon), Long.parseLong(value));
      }
    }
    return stats;
  }

  public LocalHttp.Response admin(String pathAndQuery) {
    return http.get(adminUri(pathAndQuery));
  }

  /** SIGTERM, then kill if Envoy is still running after a few seconds. Idempotent. */
  @Override
  public void close() {
    process.terminate(Duration.ofSeconds(10));
    process.close();
  }

  @Override
  public String toString() {
    return process + " admin=" + adminPort;
  }
}
