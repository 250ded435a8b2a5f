package dev.istiod.main;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small plain-HTTP server for readiness, metrics and debug pages (upstream's 8080 and 15014
 * listeners). Handlers are pure functions from a request to a response, so that a failing debug
 * page answers 500 and never affects the daemon.
 */
final class HttpEndpoints implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("http");

  /** A request as handlers see it: the path and the decoded query parameters. */
  record Request(String method, String path, Map<String, String> query) {
    String param(String name) {
      return query.getOrDefault(name, "");
    }
  }

  /** A response: status, content type and body. */
  record Response(int status, String contentType, byte[] body) {
    static Response json(String json) {
      return new Response(200, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    static Response text(int status, String text) {
      return new Response(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
    }
  }

  @FunctionalInterface
  interface Handler {
    Response handle(Request request) throws Exception;
  }

  private final HttpServer server;
  private final ExecutorService executor;
  private final Map<String, Handler> routes = new LinkedHashMap<>();

  private HttpEndpoints(HttpServer server, String name) {
    this.server = server;
    this.executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", this::dispatch);
  }

  /** Serves on {@code bound} (see {@link BoundPorts}), with handler threads called {@code name}. */
  static HttpEndpoints on(HttpServer bound, String name) {
    return new HttpEndpoints(bound, name);
  }

  /** Registers an exact path. Call before {@link #start()}. */
  HttpEndpoints route(String path, Handler handler) {
    routes.put(path, handler);
    return this;
  }

  void start() {
    server.start();
  }

  InetSocketAddress address() {
    return server.getAddress();
  }

  java.util.Set<String> paths() {
    return new java.util.TreeSet<>(routes.keySet());
  }

  private void dispatch(HttpExchange exchange) throws IOException {
    Response response = respond(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
        exchange.getRequestURI().getRawQuery());
    exchange.getResponseHeaders().set("Content-Type", response.contentType());
    exchange.sendResponseHeaders(response.status(), response.body().length == 0 ? -1 : response.body().length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(response.body());
    }
  }

  /**
   * Answers a GET of {@code pathAndQuery} (e.g. {@code /debug/syncz}) without going over HTTP, as the server would:
   * istioctl's {@code istio.io/debug} xDS type reads the debug pages this way.
   */
  Response serveInProcess(String pathAndQuery) {
    int q = pathAndQuery.indexOf('?');
    String path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
    return respond("GET", path, q < 0 ? null : pathAndQuery.substring(q + 1));
  }

  private Response respond(String method, String path, String rawQuery) {
    try {
      Handler handler = routes.get(path);
      if (handler == null && path.endsWith("/") && path.length() > 1) {
        handler = routes.get(path.substring(0, path.length() - 1));
      }
      if (handler == null) {
        return Response.text(404, "404 page not found\n");
      }
      return handler.handle(new Request(method, path, query(rawQuery)));
    } catch (IllegalArgumentException e) {
      return Response.text(400, e.getMessage() + "\n");
    } catch (Exception e) {
      log.warn("handler for {} failed", path, e);
      return Response.text(500, "internal error: " + e + "\n");
    }
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new TreeMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.put(k, v);
    }
    return out;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
