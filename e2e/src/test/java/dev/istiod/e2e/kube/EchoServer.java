package dev.istiod.e2e.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A workload on a {@link TestHost}: tools/kube/echo-server.py running inside the host's network namespace. It
 * answers every request with its name (body and {@code x-served-by} header, like the loopback test backends)
 * and appends each request it receives to {@code <logDir>/<name>.requests.jsonl}.
 */
public final class EchoServer implements AutoCloseable {
  public static final String SERVED_BY = "x-served-by";

  /** One request as the server saw it; header names lower-case. */
  public record Request(String method, String path, Map<String, String> headers) {
    public Request {
      headers = Map.copyOf(headers);
    }
  }

  private final String name;
  private final String address;
  private final int port;
  private final Process process;
  private final Path requestLog;
  private final ObjectMapper json = new ObjectMapper();
  private final Thread killOnExit;

  private EchoServer(String name, String address, int port, Process process, Path requestLog) {
    this.name = name;
    this.address = address;
    this.port = port;
    this.process = process;
    this.requestLog = requestLog;
    this.killOnExit = new Thread(process::destroyForcibly, "kill-" + name);
    Runtime.getRuntime().addShutdownHook(killOnExit);
  }

  /** An echo server on this machine's loopback ({@code 127.0.0.x}), e.g. a ServiceEntry's STATIC endpoint. */
  public static EchoServer onLoopback(String name, String address, int port, Path logDir) {
    if (!address.startsWith("127.")) {
      throw new IllegalArgumentException(address + " is not a loopback address");
    }
    return start(List.of(), "loopback", name, address, port, logDir);
  }

  static EchoServer start(TestHost host, String name, String address, int port, Path logDir) {
    return start(List.of("ip", "netns", "exec", host.name()), host.toString(), name, address, port, logDir);
  }

  private static EchoServer start(List<String> prefix, String where, String name, String address, int port,
      Path logDir) {
    Path requestLog = logDir.resolve(name + ".requests.jsonl");
    Path log = logDir.resolve(name + ".log");
    Process process;
    try {
      Files.createDirectories(logDir);
      Files.deleteIfExists(requestLog);
      List<String> command = new ArrayList<>(prefix);
      command.addAll(List.of("python3", KubeTools.script("echo-server.py").toString(), "--name", name,
          "--bind", address, "--port", Integer.toString(port), "--log", requestLog.toString()));
      process = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .start();
      process.getOutputStream().close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start echo server " + name + " in " + where, e);
    }
    EchoServer server = new EchoServer(name, address, port, process, requestLog);
    try {
      TestHost.awaitAccepting("echo server " + name + " (log " + log + ")", address, port, process.toHandle());
    } catch (RuntimeException | AssertionError e) {
      server.close();
      throw e;
    }
    return server;
  }

  public String name() {
    return name;
  }

  public String address() {
    return address;
  }

  public int port() {
    return port;
  }

  /** Every request received so far, oldest first. */
  public List<Request> requests() {
    if (!Files.exists(requestLog)) {
      return List.of();
    }
    try {
      return Files.readAllLines(requestLog, StandardCharsets.UTF_8).stream()
          .filter(line -> line.endsWith("}"))
          .map(this::parse)
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Request parse(String line) {
    try {
      JsonNode node = json.readTree(line);
      Map<String, String> headers = new TreeMap<>();
      node.path("headers").properties().forEach(e -> headers.put(e.getKey(), e.getValue().asText()));
      return new Request(node.path("method").asText(), node.path("path").asText(), headers);
    } catch (IOException e) {
      throw new UncheckedIOException("bad request log line: " + line, e);
    }
  }

  public void clearRequests() {
    try {
      Files.deleteIfExists(requestLog);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** SIGTERM, then SIGKILL after a few seconds. Idempotent. */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running already.
    }
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return name + "@" + address + ":" + port;
  }
}
