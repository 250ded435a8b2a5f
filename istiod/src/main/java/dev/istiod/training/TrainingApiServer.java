package dev.istiod.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.istiod.ca.pki.Certificates;
import dev.istiod.ca.pki.Pem;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

/**
 * A stand-in Kubernetes API server for the image's training run only (tools/image/train.sh): it
 * answers LIST, WATCH, GET, POST, PUT, PATCH and DELETE over HTTPS (HTTP/1.1, as fabric8's JDK
 * client speaks it; watches as WebSockets) from an in-memory store holding
 * a synthetic cluster ({@link TrainingCluster}), so that the ahead-of-time cache also holds
 * istiod's Kubernetes path (the client, TLS, JSON model decoding, informers, the registries),
 * which a training run without a cluster never touches. It is not an API server: no validation,
 * no resource versions that mean anything, watches that stay silent, selectors reduced to
 * equality. It never runs outside a training run.
 *
 * <pre>java -cp istiod.jar dev.istiod.training.TrainingApiServer DIR [TRAINING_YAML]</pre>
 *
 * listens on a free loopback port, writes {@code DIR/kubeconfig} (its CA and a bearer token),
 * and exits when its standard input closes or after five minutes, whichever comes first.
 */
public final class TrainingApiServer implements AutoCloseable {
  private static final Duration MAX_LIFETIME = Duration.ofMinutes(5);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "training-token";

  /** "group/version/plural" -> "namespace/name" -> object. Guarded by itself. */
  private final Map<String, Map<String, ObjectNode>> store = new HashMap<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final ServerSocket listener;
  private long resourceVersion = 1000;

  public static void main(String[] args) throws Exception {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: TrainingApiServer DIR [TRAINING_YAML]");
      System.exit(2);
    }
    try (TrainingApiServer server = start(Path.of(args[0]), args.length == 2 ? Path.of(args[1]) : null)) {
      System.err.println("training API server on https://127.0.0.1:" + server.port());
      Thread stdin = new Thread(() -> {
        try {
          while (System.in.read() >= 0) {
            // only the end of input matters
          }
        } catch (IOException e) {
          // closed
        }
        server.stopped.countDown();
      }, "training-apiserver-stdin");
      stdin.setDaemon(true);
      stdin.start();
      server.stopped.await(MAX_LIFETIME.toSeconds(), TimeUnit.SECONDS);
    }
  }

  /**
   * Listens on a free loopback port with the synthetic cluster (and {@code trainingYaml}'s Istio
   * configs, if given) and writes {@code dir/kubeconfig}.
   */
  static TrainingApiServer start(Path dir, Path trainingYaml) throws Exception {
    KeyPair keys = KeyPairGenerator.getInstance("EC").generateKeyPair();
    X509Certificate cert = Certificates.leaf(new Certificates.LeafSpec(keys.getPublic(), List.of("127.0.0.1"),
        false, Instant.now(), Duration.ofHours(1)), selfSigned(keys), keys.getPrivate());
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("server", keys.getPrivate(), new char[0], new Certificate[] {cert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, new char[0]);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), null, null);
    SSLServerSocket listener = (SSLServerSocket) tls.getServerSocketFactory()
        .createServerSocket(0, 64, InetAddress.getLoopbackAddress());
    TrainingApiServer server = new TrainingApiServer(listener);
    for (ObjectNode o : TrainingCluster.objects(trainingYaml)) {
      server.put(o);
    }
    Thread acceptor = new Thread(server::accept, "training-apiserver");
    acceptor.setDaemon(true);
    acceptor.start();
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("kubeconfig"), kubeconfig(server.port(), Pem.encode(cert)));
    return server;
  }

  private TrainingApiServer(ServerSocket listener) {
    this.listener = listener;
  }

  int port() {
    return listener.getLocalPort();
  }

  /** Stops listening and ends every watch; connections close as their handlers return. */
  @Override
  public void close() throws IOException {
    stopped.countDown();
    listener.close();
  }

  /** Its own issuer: the leaf is signed by a throwaway root of the same key. */
  private static X509Certificate selfSigned(KeyPair keys) {
    return Certificates.selfSignedRoot(keys, "training", Instant.now().minus(Duration.ofMinutes(5)),
        Duration.ofHours(2));
  }

  private static String kubeconfig(int port, String caPem) {
    String ca = Base64.getEncoder().encodeToString(caPem.getBytes(StandardCharsets.UTF_8));
    return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: training
          cluster: {server: "https://127.0.0.1:%d", certificate-authority-data: "%s"}
        users:
        - name: training
          user: {token: "%s"}
        contexts:
        - name: training
          context: {cluster: training, user: training}
        current-context: training
        """.formatted(port, ca, TOKEN);
  }

  // ---- requests ----

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket socket = listener.accept();
        Thread t = new Thread(() -> serve(socket), "training-apiserver-connection");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  /** One connection: requests in turn (keep-alive) until it closes or turns into a watch. */
  private void serve(Socket socket) {
    try (socket) {
      TrainingHttp.Request request;
      while ((request = TrainingHttp.Request.read(socket.getInputStream())) != null) {
        if (!handle(request, new TrainingHttp.Response(socket.getOutputStream()))) {
          return;
        }
      }
    } catch (IOException | RuntimeException e) {
      // the client went away; a training run ends with every connection closed
    }
  }

  /** Answers one request; false when the connection is done (a watch ended). */
  private boolean handle(TrainingHttp.Request ex, TrainingHttp.Response out) throws IOException {
    {
      String method = ex.method();
      Map<String, String> query = query(ex.uri().getRawQuery());
      String path = ex.uri().getPath();
      if (path.equals("/version")) {
        reply(out, 200, JSON.createObjectNode().put("major", "1").put("minor", "33").put("gitVersion", "v1.33.0"));
        return true;
      }
      ResourcePath rp = ResourcePath.parse(path);
      if (rp == null) {
        reply(out, 404, status(404, "NotFound", "no such path " + path));
        return true;
      }
      switch (method) {
        case "GET" -> {
          if (rp.name() != null) {
            ObjectNode o = get(rp);
            reply(out, o == null ? 404 : 200, o == null ? status(404, "NotFound", rp.name() + " not found") : o);
          } else if ("true".equals(query.get("watch")) || "1".equals(query.get("watch"))) {
            watch(ex, out);
            return false;
          } else {
            reply(out, 200, list(rp, query));
          }
        }
        case "POST" -> {
          ObjectNode o = body(ex);
          ObjectNode meta = o.with("metadata");
          if (rp.namespace() != null) {
            meta.put("namespace", rp.namespace());
          }
          if (get(new ResourcePath(rp.gvr(), rp.namespace(), meta.path("name").asText())) != null) {
            reply(out, 409, status(409, "AlreadyExists", meta.path("name").asText() + " already exists"));
          } else {
            reply(out, 201, put(rp.gvr(), o));
          }
        }
        case "PUT" -> reply(out, 200, put(rp.gvr(), body(ex)));
        case "PATCH" -> {
          ObjectNode o = get(rp);
          reply(out, o == null ? 404 : 200, o == null ? status(404, "NotFound", rp.name() + " not found") : o);
        }
        case "DELETE" -> {
          ObjectNode o = remove(rp);
          reply(out, o == null ? 404 : 200, o == null ? status(404, "NotFound", rp.name() + " not found") : o);
        }
        default -> reply(out, 405, status(405, "MethodNotAllowed", method));
      }
    }
    return true;
  }

  /**
   * A watch that reports nothing until the run ends (the training cluster never changes by
   * itself): a WebSocket when asked for one, as fabric8 does first, else a chunked stream.
   */
  private void watch(TrainingHttp.Request ex, TrainingHttp.Response out) throws IOException {
    String key = ex.header("sec-websocket-key");
    if (key != null) {
      out.switchToWebSocket(key);
    } else {
      out.startChunked();
    }
    try {
      stopped.await(MAX_LIFETIME.toSeconds(), TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private ObjectNode list(ResourcePath rp, Map<String, String> query) {
    Map<String, String> fields = selector(query.get("fieldSelector"));
    Map<String, String> labels = selector(query.get("labelSelector"));
    ArrayNode items = JSON.createArrayNode();
    synchronized (store) {
      for (ObjectNode o : store.getOrDefault(rp.gvr(), Map.of()).values()) {
        JsonNode meta = o.path("metadata");
        if ((rp.namespace() == null || rp.namespace().equals(meta.path("namespace").asText()))
            && fields.entrySet().stream().allMatch(f -> f.getValue().equals(o.at("/" + f.getKey().replace('.', '/')).asText()))
            && labels.entrySet().stream().allMatch(l -> l.getValue().equals(meta.path("labels").path(l.getKey()).asText()))) {
          items.add(o);
        }
      }
      ObjectNode list = JSON.createObjectNode();
      list.putObject("metadata").put("resourceVersion", Long.toString(resourceVersion));
      list.set("items", items);
      return list;
    }
  }

  private ObjectNode get(ResourcePath rp) {
    synchronized (store) {
      return store.getOrDefault(rp.gvr(), Map.of()).get(key(rp.namespace(), rp.name()));
    }
  }

  private ObjectNode remove(ResourcePath rp) {
    synchronized (store) {
      return store.getOrDefault(rp.gvr(), new HashMap<>()).remove(key(rp.namespace(), rp.name()));
    }
  }

  private ObjectNode put(ObjectNode o) {
    return put(ResourcePath.gvr(o.path("apiVersion").asText(), TrainingCluster.plural(o.path("kind").asText())), o);
  }

  private ObjectNode put(String gvr, ObjectNode o) {
    synchronized (store) {
      ObjectNode meta = o.with("metadata");
      meta.put("resourceVersion", Long.toString(++resourceVersion));
      if (!meta.has("uid")) {
        meta.put("uid", java.util.UUID.randomUUID().toString());
      }
      if (!meta.has("creationTimestamp")) {
        meta.put("creationTimestamp", Instant.now().toString().replaceAll("\\.\\d+Z$", "Z"));
      }
      String ns = meta.path("namespace").asText(null);
      store.computeIfAbsent(gvr, k -> new java.util.LinkedHashMap<>()).put(key(ns, meta.path("name").asText()), o);
      return o;
    }
  }

  private static String key(String namespace, String name) {
    return (namespace == null ? "" : namespace) + "/" + name;
  }

  private static ObjectNode body(TrainingHttp.Request ex) throws IOException {
    return (ObjectNode) JSON.readTree(ex.body());
  }

  private static ObjectNode status(int code, String reason, String message) {
    ObjectNode s = JSON.createObjectNode().put("kind", "Status").put("apiVersion", "v1").put("status", "Failure")
        .put("message", message).put("reason", reason).put("code", code);
    s.putObject("metadata");
    return s;
  }

  private static void reply(TrainingHttp.Response out, int code, JsonNode body) throws IOException {
    out.send(code, JSON.writeValueAsBytes(body));
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new HashMap<>();
    if (raw != null) {
      for (String kv : raw.split("&")) {
        int eq = kv.indexOf('=');
        out.put(URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8),
            eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  /** Equality terms only ({@code a=b,c==d}); other terms ({@code !=}, sets) select everything. */
  private static Map<String, String> selector(String s) {
    Map<String, String> out = new HashMap<>();
    if (s != null) {
      for (String term : s.split(",")) {
        if (term.contains("!=")) {
          continue;
        }
        String[] kv = term.split("==?", 2);
        if (kv.length == 2) {
          out.put(kv[0].strip(), kv[1].strip());
        }
      }
    }
    return out;
  }

  /** A request path: {@code /api/v1[/namespaces/NS]/PLURAL[/NAME]} or the same under {@code /apis/GROUP/VERSION}. */
  record ResourcePath(String gvr, String namespace, String name) {
    static String gvr(String apiVersion, String plural) {
      return (apiVersion.contains("/") ? apiVersion : "/" + apiVersion) + "/" + plural;
    }

    static ResourcePath parse(String path) {
      List<String> p = new ArrayList<>(List.of(path.replaceAll("^/+|/+$", "").split("/")));
      String apiVersion;
      if (p.size() >= 3 && p.get(0).equals("api")) {
        apiVersion = p.get(1);
        p = p.subList(2, p.size());
      } else if (p.size() >= 4 && p.get(0).equals("apis")) {
        apiVersion = p.get(1) + "/" + p.get(2);
        p = p.subList(3, p.size());
      } else {
        return null;
      }
      String ns = null;
      if (p.size() >= 3 && p.get(0).equals("namespaces")) {
        ns = p.get(1);
        p = p.subList(2, p.size());
      }
      return switch (p.size()) {
        case 1 -> new ResourcePath(gvr(apiVersion, p.get(0)), ns, null);
        case 2 -> new ResourcePath(gvr(apiVersion, p.get(0)), ns, p.get(1));
        case 3 -> new ResourcePath(gvr(apiVersion, p.get(0)), ns, p.get(1)); // a subresource: its object
        default -> null;
      };
    }
  }
}
