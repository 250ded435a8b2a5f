package dev.istiod.main;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.configstore.DirectoryConfigStore;
import dev.istiod.configstore.KindRegistry;
import dev.istiod.configstore.MemoryConfigStore;
import dev.istiod.model.ConfigEvent;
import dev.istiod.model.ConfigStore;
import dev.istiod.model.EndpointIndex;
import dev.istiod.model.Environment;
import dev.istiod.model.Kind;
import dev.istiod.model.MeshConfigs;
import dev.istiod.model.PushRequest;
import dev.istiod.model.TriggerReason;
import dev.istiod.serviceregistry.AggregateServiceDiscovery;
import dev.istiod.serviceregistry.serviceentry.ServiceEntryRegistry;
import dev.istiod.xds.gen.Generators;
import dev.istiod.xds.grpcgen.ProxylessGrpc;
import dev.istiod.xds.server.DiscoveryServer;
import dev.istiod.xds.server.GrpcServerOptions;
import dev.istiod.xds.server.XdsServerOptions;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon: the one place that knows every module and wires them together.
 *
 * <p>Start-up is one linear sequence, and its order matters:
 * <ol>
 *   <li>the mesh config, because registries and generators read it;
 *   <li>the config store and the registries, with their change handlers pointing at the push
 *       pipeline (through a forwarding sink, since the discovery server needs the registry's
 *       services in its Environment and the registry needs the server's entry point);
 *   <li>the discovery server, then the initial load of every source;
 *   <li>the gRPC and HTTP listeners; and only when every cache has synced, {@code markReady},
 *       which builds the first PushContext and lets proxies in. Before that, streams are refused
 *       with UNAVAILABLE, so no proxy ever sees config from half-loaded caches.
 * </ol>
 * Shutdown runs the other way: stop accepting, drain streams, stop sources.
 */
final class Istiod implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("istiod");
  private static final Duration GRPC_DRAIN = Duration.ofSeconds(5);

  private final IstiodOptions options;
  private final PrometheusRegistry metrics = new PrometheusRegistry();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final CountDownLatch terminated = new CountDownLatch(1);
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Instant startedAt = Instant.now();

  private volatile MeshConfig mesh;
  private ConfigStore configStore;
  private DirectoryConfigStore directoryStore;
  private ServiceEntryRegistry serviceEntries;
  private DiscoveryServer discovery;
  private Server grpcServer;
  private HttpEndpoints httpServer;
  private HttpEndpoints monitoringServer;

  private Istiod(IstiodOptions options) {
    this.options = options;
  }

  /** Starts every component; on failure, stops what was started and rethrows. */
  static Istiod start(IstiodOptions options) throws IOException {
    Istiod istiod = new Istiod(options);
    try {
      istiod.startComponents();
      return istiod;
    } catch (IOException | RuntimeException e) {
      istiod.close();
      throw e;
    }
  }

  private void startComponents() throws IOException {
    mesh = loadMeshConfig(options.meshConfigFile());

    // Sources. Their handlers feed the push pipeline through this sink; nothing flows until the
    // discovery server exists, and the debouncer holds pushes until it is ready.
    AtomicReference<DiscoveryServer> sink = new AtomicReference<>();
    java.util.function.Consumer<PushRequest> pushes = request -> {
      DiscoveryServer s = sink.get();
      if (s != null) {
        s.configUpdate(request);
      }
    };
    configStore = openConfigStore();
    configStore.addHandler(event -> onConfigEvent(event, pushes));
    EndpointIndex endpoints = new EndpointIndex();
    serviceEntries = new ServiceEntryRegistry(configStore, endpoints, pushes,
        ServiceEntryRegistry.Options.defaults().withMesh(() -> mesh).withClusterId(options.clusterId()));
    closeables.add(serviceEntries);
    Environment env = new Environment(configStore, AggregateServiceDiscovery.of(serviceEntries), endpoints,
        () -> mesh, options.domainSuffix());

    // The push pipeline and the generators every proxy kind needs.
    Features f = options.features();
    discovery = new DiscoveryServer(env, ProxylessGrpc.withProxyless(Generators.envoy()),
        new XdsServerOptions(f.debounceAfter(), f.debounceMax(), f.enableEdsDebounce(), f.pushThrottle(),
            XdsServerOptions.DEFAULT_PUSH_WAIT_LIMIT),
        metrics);
    closeables.add(discovery);
    sink.set(discovery);
    discovery.start();

    // Initial load of every source.
    if (directoryStore != null) {
      directoryStore.start();
    }
    serviceEntries.start();

    startGrpc();
    startHttp();

    awaitSynced();
    discovery.markReady();
    registerInfoMetrics();
    log.info("istiod ready: {} services, {} configs; xDS on {}, HTTP on {}, monitoring on {}",
        env.serviceDiscovery().services().size(), countConfigs(), describe(grpcServer),
        httpServer == null ? "-" : httpServer.address(), monitoringServer == null ? "-" : monitoringServer.address());
  }

  private ConfigStore openConfigStore() {
    if (options.configDir() != null) {
      directoryStore = DirectoryConfigStore.builder(options.configDir(), KindRegistry.istio()).build();
      closeables.add(directoryStore);
      return directoryStore;
    }
    log.warn("no --configDir and no cluster: serving an empty mesh");
    return new MemoryConfigStore();
  }

  /**
   * Config changes other than ServiceEntry and WorkloadEntry (which the ServiceEntry registry
   * turns into service and endpoint pushes) become full pushes naming the changed object.
   */
  private static void onConfigEvent(ConfigEvent event, java.util.function.Consumer<PushRequest> pushes) {
    Kind kind = event.key().kind();
    if (kind == Kind.SERVICE_ENTRY || kind == Kind.WORKLOAD_ENTRY) {
      return;
    }
    pushes.accept(PushRequest.full(TriggerReason.CONFIG, Set.of(event.key())));
  }

  private void awaitSynced() {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (!(configStore.hasSynced() && serviceEntries.hasSynced())) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("config sources did not sync within 2 minutes");
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for caches to sync", e);
      }
    }
  }

  private void startGrpc() throws IOException {
    if (options.grpcAddr() == null) {
      return;
    }
    Features f = options.features();
    GrpcServerOptions grpcOptions = new GrpcServerOptions(f.maxConcurrentStreams(), f.maxRecvMsgSize(),
        f.keepaliveInterval(), f.keepaliveTimeout(), options.keepaliveMaxServerConnectionAge(), Duration.ofSeconds(10));
    Server server = grpcOptions.applyTo(NettyServerBuilder.forAddress(options.grpcAddr()))
        .addService(discovery.bindService())
        .build();
    try {
      grpcServer = server.start();
    } catch (IOException e) {
      throw new IOException("cannot listen on " + options.grpcAddr() + " (--grpcAddr): " + e.getMessage(), e);
    }
  }

  private void startHttp() throws IOException {
    DebugEndpoints debug = new DebugEndpoints(discovery, configStore, directoryStore, () -> mesh,
        options.features().podName());
    if (options.httpAddr() != null) {
      httpServer = HttpEndpoints.bind(options.httpAddr(), "http-debug");
      httpServer.route("/ready", r -> discovery.isReady()
          ? HttpEndpoints.Response.text(200, "")
          : HttpEndpoints.Response.text(503, "not ready\n"));
      if (options.features().enableDebugOnHttp()) {
        debug.registerOn(httpServer);
      }
      httpServer.start();
      closeables.add(httpServer);
    }
    if (options.monitoringAddr() != null) {
      monitoringServer = HttpEndpoints.bind(options.monitoringAddr(), "http-monitoring");
      monitoringServer.route("/metrics", r -> HttpEndpoints.Response.text(200, PrometheusText.render(metrics.scrape())));
      monitoringServer.route("/version", r -> HttpEndpoints.Response.text(200, Version.current() + "\n"));
      debug.registerOn(monitoringServer);
      monitoringServer.start();
      closeables.add(monitoringServer);
    }
  }

  private void registerInfoMetrics() {
    GaugeWithCallback.builder().name("istiod_uptime_seconds").help("Current istiod server uptime in seconds")
        .callback(cb -> cb.call(Duration.between(startedAt, Instant.now()).toMillis() / 1000.0))
        .register(metrics);
  }

  private int countConfigs() {
    int n = 0;
    for (Kind k : Kind.values()) {
      if (k.isIstioConfig()) {
        n += configStore.list(k).size();
      }
    }
    return n;
  }

  private static String describe(Server server) {
    return server == null ? "-" : server.getListenSockets().toString();
  }

  /**
   * Reads the mesh config file over upstream's defaults. A missing file means defaults; a file
   * that exists but does not parse stops start-up, as upstream does, because running with a
   * silently different mesh config is worse than not running.
   */
  static MeshConfig loadMeshConfig(Path file) {
    if (!Files.exists(file)) {
      log.info("mesh config {} not found, using defaults", file);
      return MeshConfigs.defaults();
    }
    try {
      return MeshConfigs.parse(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read mesh config " + file, e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid mesh config " + file + ": " + e.getMessage(), e);
    }
  }

  /** The bound xDS port (useful when started on port 0); -1 when disabled. */
  int grpcPort() {
    return grpcServer == null ? -1 : grpcServer.getPort();
  }

  java.net.InetSocketAddress httpAddress() {
    return httpServer == null ? null : httpServer.address();
  }

  java.net.InetSocketAddress monitoringAddress() {
    return monitoringServer == null ? null : monitoringServer.address();
  }

  void awaitTermination() throws InterruptedException {
    terminated.await();
  }

  /** Stops accepting streams, lets in-flight ones end, then stops every source. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    log.info("shutting down");
    if (grpcServer != null) {
      grpcServer.shutdown();
    }
    if (discovery != null) {
      discovery.close();
    }
    if (grpcServer != null) {
      try {
        if (!grpcServer.awaitTermination(GRPC_DRAIN.toMillis(), TimeUnit.MILLISECONDS)) {
          grpcServer.shutdownNow();
        }
      } catch (InterruptedException e) {
        grpcServer.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        log.warn("error while closing {}", closeables.get(i).getClass().getSimpleName(), e);
      }
    }
    log.info("shutdown complete");
    terminated.countDown();
  }
}
