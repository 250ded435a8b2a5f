package dev.istiod.webhook;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.X509KeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Istiod's admission webhook server ({@code --httpsAddr}, 15017): HTTPS without client
 * authentication, serving {@code /validate}, {@code /validate/...}, {@code /inject},
 * {@code /inject/...} and {@code /ready}.
 *
 * <p>The serving certificate comes from the key manager on every handshake, so a key manager
 * that follows istiod's re-issued certificate (the CA's reloading key manager) applies to the
 * next connection without a restart.
 *
 * <p>Each request runs on its own virtual thread. Whatever a client sends, it gets an answer:
 * a body that is not an AdmissionReview gets a 400 with the reason, a handler failure is a
 * denial with the reason, and nothing a request does stops the server.
 */
public final class AdmissionServer implements AutoCloseable {
  /** Upstream's limit: twice Kubernetes' maximum object size, plus headroom (6 MiB). */
  static final int MAX_BODY_BYTES = 6 * 1024 * 1024;
  private static final Logger log = LoggerFactory.getLogger(AdmissionServer.class);

  private final HttpsServer server;
  private final ExecutorService executor;

  /**
   * @param address where to listen; port 0 picks a free one (see {@link #port()})
   * @param keyManager asked for the serving certificate on every TLS handshake
   * @param validation the {@code /validate} webhook, if enabled
   * @param injection the {@code /inject} webhook, if enabled
   * @param ready whether istiod is ready ({@code /ready} answers 200, else 503)
   */
  public record Options(InetSocketAddress address, X509KeyManager keyManager,
      Optional<AdmissionHandler> validation, Optional<AdmissionHandler> injection, BooleanSupplier ready) {
    public Options {
      Objects.requireNonNull(address, "address");
      Objects.requireNonNull(keyManager, "keyManager");
      Objects.requireNonNull(validation, "validation");
      Objects.requireNonNull(injection, "injection");
      Objects.requireNonNull(ready, "ready");
    }
  }

  private AdmissionServer(HttpsServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Binds and starts serving. */
  public static AdmissionServer start(Options options) throws IOException {
    return start(HttpsServer.create(options.address(), 1024), options);
  }

  /**
   * Starts serving on {@code bound}, a server already bound but not started (istiod binds every
   * port first); {@link Options#address()} is then only informative.
   */
  public static AdmissionServer start(HttpsServer bound, Options options) {
    HttpsServer server = Objects.requireNonNull(bound, "bound");
    server.setHttpsConfigurator(new HttpsConfigurator(sslContext(options.keyManager())) {
      @Override
      public void configure(HttpsParameters params) {
        SSLParameters ssl = getSSLContext().getDefaultSSLParameters();
        ssl.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
        ssl.setNeedClientAuth(false);
        ssl.setWantClientAuth(false);
        params.setSSLParameters(ssl);
      }
    });
    options.validation().ifPresent(h -> server.createContext("/validate", ex -> admit(ex, "/validate", h)));
    options.injection().ifPresent(h -> server.createContext("/inject", ex -> admit(ex, "/inject", h)));
    server.createContext("/ready", ex -> ready(ex, options.ready()));
    server.createContext("/", ex -> {
      drain(ex);
      send(ex, 404, "text/plain", "404 page not found\n");
    });
    ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    server.setExecutor(executor);
    server.start();
    log.info("admission webhook server listening on {} (validate: {}, inject: {})", server.getAddress(),
        options.validation().isPresent(), options.injection().isPresent());
    return new AdmissionServer(server, executor);
  }

  private static SSLContext sslContext(X509KeyManager keyManager) {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(new KeyManager[] {keyManager}, null, null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot set up TLS for the webhook server: " + e.getMessage(), e);
    }
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private static void ready(HttpExchange ex, BooleanSupplier ready) throws IOException {
    drain(ex);
    if (ready.getAsBoolean()) {
      send(ex, 200, "text/plain", "");
    } else {
      send(ex, 503, "text/plain", "not ready\n");
    }
  }

  private static void admit(HttpExchange ex, String prefix, AdmissionHandler handler) throws IOException {
    try {
      String path = ex.getRequestURI().getRawPath();
      if (!path.equals(prefix) && !path.startsWith(prefix + "/")) {
        drain(ex);
        send(ex, 404, "text/plain", "404 page not found\n");
        return;
      }
      byte[] body = readBody(ex);
      if (body == null) {
        fail(ex, handler, 400, "request entity is too large; limit is " + MAX_BODY_BYTES);
        return;
      }
      if (body.length == 0) {
        fail(ex, handler, 400, "no body found");
        return;
      }
      if (!isJson(ex.getRequestHeaders().getFirst("Content-Type"))) {
        fail(ex, handler, 415, "invalid Content-Type, want `application/json`");
        return;
      }
      AdmissionReviews.Review review;
      try {
        review = AdmissionReviews.parse(body);
      } catch (AdmissionReviews.BadReviewException e) {
        fail(ex, handler, 400, e.getMessage());
        return;
      }
      AdmissionResponse response = safeAdmit(handler, review.request(), path);
      send(ex, 200, "application/json",
          AdmissionReviews.encode(review.apiVersion(), review.request().uid(), response));
    } catch (IOException | RuntimeException e) {
      // The client went away mid-request, or writing failed: nothing more to tell it.
      log.debug("admission request on {} failed: {}", prefix, e.toString());
      ex.close();
    }
  }

  private static AdmissionResponse safeAdmit(AdmissionHandler handler, AdmissionRequest request, String path) {
    try {
      return handler.admit(request, path);
    } catch (RuntimeException e) {
      log.error("admission webhook {} failed on {} {}/{}", path, request.operation(), request.namespace(),
          request.name(), e);
      return AdmissionResponse.deny("internal error: " + e);
    }
  }

  private static void fail(HttpExchange ex, AdmissionHandler handler, int status, String message)
      throws IOException {
    log.info("admission request on {} refused ({}): {}", ex.getRequestURI().getPath(), status, message);
    handler.onHttpError(status);
    send(ex, status, "text/plain; charset=utf-8", message + "\n");
  }

  private static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semi = contentType.indexOf(';');
    String media = (semi < 0 ? contentType : contentType.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
    return media.equals("application/json");
  }

  /** The body, or null when it is larger than {@link #MAX_BODY_BYTES}. */
  private static byte[] readBody(HttpExchange ex) throws IOException {
    try (InputStream in = ex.getRequestBody()) {
      byte[] data = in.readNBytes(MAX_BODY_BYTES + 1);
      // Too large: not read further; the server closes the connection after the answer.
      return data.length > MAX_BODY_BYTES ? null : data;
    }
  }

  private static void drain(HttpExchange ex) throws IOException {
    try (InputStream in = ex.getRequestBody()) {
      in.transferTo(OutputStream.nullOutputStream());
    }
  }

  private static void send(HttpExchange ex, int status, String contentType, String body) throws IOException {
    send(ex, status, contentType, body.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", contentType);
    ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }
}
