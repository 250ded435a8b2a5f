package dev.istiod.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A tiny HTTP server in the test JVM, standing in for one workload. It answers every request with its own name
 * (body and {@code x-served-by} header) and records the request, so a test can tell where traffic landed and
 * what arrived with it. Each backend has its own loopback address (127.0.0.2, 127.0.0.3, ...).
 */
final class Backend implements AutoCloseable {
  static final String SERVED_BY = "x-served-by";

  /** One request as the backend saw it; header names lower-cased, repeated values joined by ",". */
  record Request(String method, String path, Map<String, String> headers) {
    Request {
      headers = Map.copyOf(headers);
    }
  }

  private final String name;
  private final HttpServer server;
  private final ExecutorService executor;
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  /** Requests still to be answered with {@link #failStatus} instead of 200 (see {@link #failNext}). */
  private final java.util.concurrent.atomic.AtomicInteger failuresLeft = new java.util.concurrent.atomic.AtomicInteger();
  private volatile int failStatus = 503;
  /** Requests still to be held for {@link #delay} before the answer (see {@link #delayNext}). */
  private final java.util.concurrent.atomic.AtomicInteger delaysLeft = new java.util.concurrent.atomic.AtomicInteger();
  private volatile java.time.Duration delay = java.time.Duration.ZERO;

  private Backend(String name, HttpServer server, ExecutorService executor) {
    this.name = name;
    this.server = server;
    this.executor = executor;
  }

  /** Binds {@code address:port}; throws {@link java.net.BindException} (as UncheckedIOException) if taken. */
  static Backend start(String name, String address, int port) {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(address), port), 64);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind backend " + name + " on " + address + ":" + port, e);
    }
    ExecutorService executor = Executors.newFixedThreadPool(4);
    Backend backend = new Backend(name, server, executor);
    server.createContext("/", backend::handle);
    server.setExecutor(executor);
    server.start();
    return backend;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange; InputStream body = exchange.getRequestBody()) {
      body.readAllBytes();
      Map<String, String> headers = new TreeMap<>();
      exchange.getRequestHeaders().forEach((key, values) ->
          headers.put(key.toLowerCase(Locale.ROOT), String.join(",", values)));
      requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().toString(), headers));
      if (delaysLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        sleep(delay);
      }
      int status = failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? failStatus : 200;
      byte[] reply = (name + "\n").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set(SERVED_BY, name);
      exchange.getResponseHeaders().set("content-type", "text/plain");
      exchange.sendResponseHeaders(status, reply.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(reply);
      }
    }
  }

  String name() {
    return name;
  }

  /** Answers the next {@code count} requests with {@code status} (still recorded), then 200 again. */
  void failNext(int count, int status) {
    failStatus = status;
    failuresLeft.set(count);
  }

  /** Holds each of the next {@code count} requests for {@code duration} before answering. */
  void delayNext(int count, java.time.Duration duration) {
    delay = duration;
    delaysLeft.set(count);
  }

  private static void sleep(java.time.Duration d) {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  String address() {
    return server.getAddress().getAddress().getHostAddress();
  }

  int port() {
    return server.getAddress().getPort();
  }

  List<Request> requests() {
    return List.copyOf(requests);
  }

  void clearRequests() {
    requests.clear();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  @Override
  public String toString() {
    return name + "@" + address() + ":" + port();
  }
}
