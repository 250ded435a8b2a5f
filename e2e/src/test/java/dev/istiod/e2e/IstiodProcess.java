package dev.istiod.e2e;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The real istiod, as users run it: {@code java -jar istiod/target/istiod.jar discovery --configDir DIR}, with
 * its gRPC, HTTP and monitoring addresses on free loopback ports and its log in {@code workDir/istiod.log}.
 */
public final class IstiodProcess implements AutoCloseable {
  static final Duration READY_BOUND = Duration.ofSeconds(90);
  static final Duration STOP_BOUND = Duration.ofSeconds(30);

  private final ManagedProcess process;
  private final int grpcPort;
  private final int httpPort;
  private final int monitoringPort;
  private final int secureGrpcPort;
  private final int httpsPort;
  private final LocalHttp http = new LocalHttp();
  private final ObjectMapper json = new ObjectMapper();

  private IstiodProcess(ManagedProcess process, int grpcPort, int httpPort, int monitoringPort, int secureGrpcPort,
      int httpsPort) {
    this.process = process;
    this.grpcPort = grpcPort;
    this.httpPort = httpPort;
    this.monitoringPort = monitoringPort;
    this.secureGrpcPort = secureGrpcPort;
    this.httpsPort = httpsPort;
  }

  /** Starts istiod on {@code configDir} and returns once {@code /ready} answers 200. */
  public static IstiodProcess start(Path configDir, Path workDir, Map<String, String> env) {
    return start(configDir, workDir, env, List.of());
  }

  /** As {@link #start(Path, Path, Map)}, with more {@code discovery} flags (e.g. {@code --meshConfig FILE}). */
  public static IstiodProcess start(Path configDir, Path workDir, Map<String, String> env, List<String> extraArgs) {
    // grpc, http, monitoring, and the secure gRPC (CA) and webhook ports, so nothing binds a fixed port.
    List<Integer> ports = Ports.freeLoopbackPorts(5);
    List<String> command = new ArrayList<>(List.of(
        Toolchain.javaBinary().toString(),
        // Small and quick to start: the machine has 2 cores shared with Envoy and the build.
        "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError",
        "-jar", Toolchain.istiodJar().toString(),
        "discovery",
        "--configDir", configDir.toString(),
        "--grpcAddr", "127.0.0.1:" + ports.get(0),
        "--httpAddr", "127.0.0.1:" + ports.get(1),
        "--monitoringAddr", "127.0.0.1:" + ports.get(2),
        "--secureGRPCAddr", "127.0.0.1:" + ports.get(3),
        "--httpsAddr", "127.0.0.1:" + ports.get(4)));
    command.addAll(extraArgs);
    ManagedProcess process = ManagedProcess.start("istiod", command, env, workDir.resolve("istiod.log"));
    IstiodProcess istiod = new IstiodProcess(process, ports.get(0), ports.get(1), ports.get(2), ports.get(3),
        ports.get(4));
    try {
      istiod.awaitReady();
    } catch (RuntimeException | AssertionError e) {
      process.close();
      throw e;
    }
    return istiod;
  }

  private void awaitReady() {
    await("istiod /ready on 127.0.0.1:" + httpPort)
        .atMost(READY_BOUND)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> {
          if (!process.isAlive()) {
            throw new AssertionError("istiod exited with code " + process.exitCode().orElse(-1) + " before it was ready:\n"
                + process.logTail(60));
          }
          return http.get(httpUri("/ready")).ok();
        });
  }

  public int grpcPort() {
    return grpcPort;
  }

  /** The secure gRPC port (--secureGRPCAddr, upstream's 15012): xDS and the CA over TLS. */
  public int secureGrpcPort() {
    return secureGrpcPort;
  }

  /** The webhook port (--httpsAddr, upstream's 15017): /validate and /inject over HTTPS, on 127.0.0.1. */
  public int httpsPort() {
    return httpsPort;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public boolean ready() {
    return http.get(httpUri("/ready")).ok();
  }

  public Path logFile() {
    return process.logFile();
  }

  public String log() {
    return process.log();
  }

  public String logTail(int lines) {
    return process.logTail(lines);
  }

  public URI httpUri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + httpPort + pathAndQuery);
  }

  public URI monitoringUri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + monitoringPort + pathAndQuery);
  }

  public String metrics() {
    return http.getOk(monitoringUri("/metrics"));
  }

  /** Sum of every sample of a metric from {@code /metrics}; 0 when absent. */
  public double metric(String name) {
    return PrometheusText.sum(metrics(), name);
  }

  public JsonNode syncz() {
    return parse(http.getOk(httpUri("/debug/syncz")));
  }

  public LocalHttp.Response configDump(String proxyId) {
    return http.get(httpUri("/debug/config_dump?proxyID=" + URLEncoder.encode(proxyId, StandardCharsets.UTF_8)));
  }

  public LocalHttp.Response get(URI uri) {
    return http.get(uri);
  }

  private JsonNode parse(String body) {
    try {
      return json.readTree(body);
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON: " + body, e);
    }
  }

  /**
   * Sends SIGTERM and returns the exit code. Fails if istiod does not exit within {@link #STOP_BOUND} (it is then
   * killed). Calling it again returns the same code.
   */
  public int stop() {
    OptionalInt code = process.terminate(STOP_BOUND);
    if (code.isEmpty()) {
      throw new AssertionError("istiod did not exit within " + STOP_BOUND + " of SIGTERM; killed it. Log tail:\n"
          + process.logTail(40));
    }
    return code.getAsInt();
  }

  @Override
  public void close() {
    process.close();
  }

  @Override
  public String toString() {
    return process + " grpc=" + grpcPort + " http=" + httpPort + " monitoring=" + monitoringPort;
  }
}
