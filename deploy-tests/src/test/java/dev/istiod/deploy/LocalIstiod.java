package dev.istiod.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The istiod jar as a local process against a cluster, as it would run in the chart's Pod: the chart's
 * environment (POD_NAMESPACE, REVISION, ...) and a kubeconfig holding the chart's ServiceAccount token, on free
 * loopback ports. Its log goes to a file that tests read.
 */
final class LocalIstiod implements AutoCloseable {
  private final Process process;
  private final Path log;
  private final int httpPort;
  private final int secureGrpcPort;

  private LocalIstiod(Process process, Path log, int httpPort, int secureGrpcPort) {
    this.process = process;
    this.log = log;
    this.httpPort = httpPort;
    this.secureGrpcPort = secureGrpcPort;
  }

  static LocalIstiod start(Path kubeconfig, Map<String, String> env, Path workDir) {
    Path jar = jar();
    List<Integer> ports = freePorts(5);
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString(), "discovery",
        "--kubeconfig", kubeconfig.toString(),
        "--grpcAddr", "127.0.0.1:" + ports.get(0),
        "--httpAddr", "127.0.0.1:" + ports.get(1),
        "--monitoringAddr", "127.0.0.1:" + ports.get(2),
        "--secureGRPCAddr", "127.0.0.1:" + ports.get(3),
        "--httpsAddr", "127.0.0.1:" + ports.get(4),
        "--meshConfig", workDir.resolve("no-mesh-file").toString()));
    Path log = workDir.resolve("istiod.log");
    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().remove("KUBECONFIG");
    builder.environment().remove("KUBERNETES_SERVICE_HOST");
    builder.environment().putAll(env);
    try {
      return new LocalIstiod(builder.start(), log, ports.get(1), ports.get(3));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command, e);
    }
  }

  /** Waits until GET /ready answers 200; fails with the log's tail if istiod exits or the bound passes. */
  void awaitReady(Duration bound) {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/ready"))
        .timeout(Duration.ofSeconds(5)).build();
    Instant deadline = Instant.now().plus(bound);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new AssertionError("istiod exited with " + process.exitValue() + ":\n" + logTail(80));
      }
      try {
        if (client.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      sleep(Duration.ofMillis(500));
    }
    throw new AssertionError("istiod not ready within " + bound + ":\n" + logTail(80));
  }

  /** True when GET /ready answers 200 now. */
  boolean ready() {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    try {
      return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/ready"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException notYet) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The secure gRPC port (upstream's 15012): xDS and the CA over TLS. */
  int secureGrpcPort() {
    return secureGrpcPort;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  String log() {
    return Repo.read(log);
  }

  String logTail(int lines) {
    List<String> all = log().lines().toList();
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static Path jar() {
    String configured = System.getProperty("istiod.jar", "");
    Path jar = configured.isBlank() ? Repo.root().resolve("istiod/target/istiod.jar") : Path.of(configured);
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: mvn -pl istiod -am package -DskipTests");
    }
    return jar;
  }

  private static List<Integer> freePorts(int count) {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) {
        sockets.add(new ServerSocket(0));
      }
      return sockets.stream().map(ServerSocket::getLocalPort).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      for (ServerSocket socket : sockets) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // closing a probe socket cannot matter
        }
      }
    }
  }

  static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
