package dev.istiod.main;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.configstore.AggregateConfigStore;
import dev.istiod.configstore.ConfigError;
import dev.istiod.configstore.DirectoryConfigStore;
import dev.istiod.configstore.kube.KubeConfigStore;
import dev.istiod.configstore.kube.MeshConfigWatcher;
import dev.istiod.configstore.KindRegistry;
import dev.istiod.configstore.MemoryConfigStore;
import dev.istiod.leaderelection.ElectionIds;
import dev.istiod.leaderelection.LeaderElection;
import dev.istiod.model.ConfigEvent;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.ConfigStore;
import dev.istiod.model.EndpointIndex;
import dev.istiod.model.Environment;
import dev.istiod.model.Kind;
import dev.istiod.model.MeshConfigs;
import dev.istiod.model.Proxy;
import dev.istiod.model.PushRequest;
import dev.istiod.model.ServiceDiscovery;
import dev.istiod.model.TriggerReason;
import dev.istiod.serviceregistry.AggregateServiceDiscovery;
import dev.istiod.serviceregistry.WorkloadInstances;
import dev.istiod.serviceregistry.kube.KubeServiceRegistry;
import dev.istiod.serviceregistry.kube.PodInfo;
import dev.istiod.serviceregistry.serviceentry.ServiceEntryRegistry;
import dev.istiod.xds.core.security.authn.HttpJwksResolver;
import dev.istiod.xds.cache.XdsCache;
import dev.istiod.xds.gen.Generators;
import dev.istiod.xds.gen.UnappliedConfigWarnings;
import dev.istiod.xds.server.ControlPlaneInstance;
import dev.istiod.xds.server.DebugAccess;
import dev.istiod.xds.grpcgen.ProxylessGrpc;
import dev.istiod.xds.server.DiscoveryServer;
import dev.istiod.xds.server.GrpcServerOptions;
import dev.istiod.xds.server.XdsServerOptions;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import dev.istiod.ca.Citadel;
import dev.istiod.ca.auth.AuthRequest;
import dev.istiod.ca.auth.AuthenticationException;
import dev.istiod.ca.credentials.KubeCredentials;
import dev.istiod.ca.tls.ServingCertificate;
import dev.istiod.ca.tls.ReloadingKeyManager;
import dev.istiod.webhook.AdmissionHandler;
import dev.istiod.webhook.AdmissionServer;
import dev.istiod.webhook.controller.ValidationWebhookController;
import dev.istiod.webhook.controller.WebhookCertPatcher;
import dev.istiod.webhook.controller.WebhookControllers;
import dev.istiod.webhook.inject.InjectionSettings;
import dev.istiod.webhook.inject.InjectionWebhook;
import dev.istiod.webhook.inject.InjectorConfigMapWatcher;
import dev.istiod.webhook.inject.KubeNodeVersions;
import dev.istiod.webhook.inject.NativeSidecars;
import dev.istiod.webhook.validation.ValidationWebhook;
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
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon: the one place that knows every module and wires them together.
 *
 * <p>Start-up is one linear sequence, and its order matters:
 * <ol>
 *   <li>every listening port is bound ({@link BoundPorts}), so that a clash fails at once;
 *   <li>the mesh config, because registries and generators read it; then the CA starts on its own
 *       thread ({@link CaStartup}) while the steps below run; when it is done, 15012, the webhooks
 *       and the controllers that need the CA start ({@link #onCaStarted}), before or after /ready;
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
  // Guards closeables once the CA's servers may start on the CA thread (onCaStarted), against close().
  private final Object lifecycle = new Object();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final CountDownLatch terminated = new CountDownLatch(1);
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean failed;
  private final CountDownLatch caServing = new CountDownLatch(1);
  private final Instant startedAt = Instant.now();

  private volatile MeshConfig mesh;
  private ConfigStore configStore;
  private DirectoryConfigStore directoryStore;
  private ServiceEntryRegistry serviceEntries;
  private KubernetesClient kube;
  private KubeConfigStore kubeConfigs;
  private KubeServiceRegistry kubeServices;
  private MeshConfigWatcher meshWatcher;
  private KubeCredentials credentials;
  private volatile DiscoveryServer discovery;
  private final BoundPorts ports;
  private GrpcEventLoops grpcLoops;
  private Server grpcServer;
  private Server secureGrpcServer;
  // Set once the CA thread's work is joined (CaStartup), before 15012 serves.
  private volatile Citadel citadel;
  private ServingCertificate servingCert;
  private CompletableFuture<CaStartup> caStartup;
  private AdmissionServer admissionServer;
  private HttpEndpoints httpServer;
  private HttpEndpoints monitoringServer;

  private Istiod(IstiodOptions options, BoundPorts ports) {
    this.options = options;
    this.ports = ports;
  }

  /**
   * Binds every port, then starts every component; on failure, stops what was started and
   * rethrows. A port that cannot be bound fails with {@link BoundPorts.BindFailure}, before any
   * other work.
   */
  static Istiod start(IstiodOptions options) throws IOException {
    Istiod istiod = new Istiod(options, BoundPorts.bind(options));
    try {
      istiod.startComponents();
      return istiod;
    } catch (IOException | RuntimeException e) {
      istiod.close();
      throw e;
    }
  }

  private void startComponents() throws IOException {
    closeables.add(ports);
    grpcLoops = new GrpcEventLoops();
    closeables.add(grpcLoops);
    kube = openKubeClient();
    mesh = initialMeshConfig();
    // The CA (root, serving key and certificate, 15012's TLS) starts on its own thread meanwhile.
    caStartup = CaStartup.startAsync(options, kube, () -> mesh, metrics,
        ports.secureGrpcChannel() == null ? null : ports.secureGrpcAddress());

    // Sources. Their handlers feed the push pipeline through this sink; nothing flows until the
    // discovery server exists, and the debouncer holds pushes until it is ready.
    AtomicReference<DiscoveryServer> sink = new AtomicReference<>();
    Consumer<PushRequest> pushes = request -> {
      DiscoveryServer s = sink.get();
      if (s != null) {
        s.configUpdate(request);
      }
    };
    configStore = openConfigStores();
    configStore.addHandler(event -> onConfigEvent(event, pushes));
    configStore.addHandler(new UnappliedConfigWarnings(() -> mesh)); // WARNs what istiod does not apply
    EndpointIndex endpoints = new EndpointIndex();
    List<ServiceDiscovery> registries = new ArrayList<>();
    if (kube != null) {
      // Kubernetes first, as upstream: on a hostname both define, the Service wins.
      kubeServices = new KubeServiceRegistry(kube, endpoints, pushes, KubeServiceRegistry.Options.defaults()
          .withDomainSuffix(options.domainSuffix()).withClusterId(options.clusterId()).withMesh(() -> mesh)
          .withPodChanges(this::onPodChange));
      closeables.add(kubeServices);
      registries.add(kubeServices);
    }
    // ServiceEntry workloadSelectors also select the cluster's Pods, as upstream.
    serviceEntries = new ServiceEntryRegistry(configStore, endpoints, pushes,
        ServiceEntryRegistry.Options.defaults().withMesh(() -> mesh).withClusterId(options.clusterId())
            .withWorkloadInstances(kubeServices == null ? WorkloadInstances.NONE : kubeServices.workloadInstances()));
    closeables.add(serviceEntries);
    registries.add(serviceEntries);
    if (kube != null) {
      // credentialName Secrets for gateway (and DestinationRule) SDS; a change pushes SDS only.
      credentials = new KubeCredentials(kube, pushes, java.time.Clock.systemUTC());
      closeables.add(credentials);
    }
    // RequestAuthentication jwksUri keys are fetched by istiod and inlined, as upstream by default; a key
    // set that changes on refresh is pushed with a full push.
    HttpJwksResolver jwks = new HttpJwksResolver(HttpJwksResolver.Options.defaults(),
        () -> pushes.accept(PushRequest.full(TriggerReason.GLOBAL, java.util.Set.of())));
    java.util.concurrent.ScheduledExecutorService jwksRefresh =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "istiod-jwks-refresh");
          t.setDaemon(true);
          return t;
        });
    jwksRefresh.scheduleWithFixedDelay(jwks::refresh, 1, 1, java.util.concurrent.TimeUnit.MINUTES);
    closeables.add(jwksRefresh::shutdownNow);
    Environment env = new Environment(configStore, new AggregateServiceDiscovery(registries), endpoints,
        () -> mesh, options.domainSuffix(), credentials, jwks);

    // The push pipeline and the generators every proxy kind needs.
    Features f = options.features();
    XdsCache xdsCache = f.enableXdsCache() ? XdsCache.create(f.xdsCacheSize(), metrics) : XdsCache.disabled();
    discovery = new DiscoveryServer(env, ProxylessGrpc.withProxyless(Generators.envoy(xdsCache)),
        new XdsServerOptions(f.debounceAfter(), f.debounceMax(), f.enableEdsDebounce(), f.pushThrottle(),
            XdsServerOptions.DEFAULT_PUSH_WAIT_LIMIT, f.requestRateLimit()),
        metrics);
    if (kubeServices != null) {
      discovery.proxyInitializer(this::withWorkloadLabels);
    }
    if (caStartup != null) {
      discovery.authenticator(this::authenticateXdsCaller);
    }
    // istioctl's debug types over xDS (proxy-status, x version): who may ask, and who answers.
    discovery.debugAccess(new DebugAccess(f.enableDebugEndpointAuth(), f.debugEndpointAuthAllowedNamespaces()));
    discovery.controlPlane(ControlPlaneInstance.istiod(f.podName(), Version.current()));
    closeables.add(discovery);
    sink.set(discovery);
    discovery.start();

    // Initial load of every source.
    if (kubeConfigs != null) {
      kubeConfigs.start();
    }
    if (directoryStore != null) {
      directoryStore.start();
    }
    if (meshWatcher != null) {
      meshWatcher.start();
    }
    if (kubeServices != null) {
      kubeServices.start();
    }
    if (credentials != null) {
      credentials.start();
    }
    serviceEntries.start();

    startGrpc();
    startHttp();
    if (caStartup != null) {
      // 15012, the webhooks and the CA's controllers start when the CA thread is done, which on a
      // cold JVM (RSA key generation) may be after /ready; connections meanwhile wait in the backlog.
      caStartup.whenComplete(this::onCaStarted);
    }

    // Proxies are let in only once every cache has synced; until then /ready answers 503 and
    // streams are refused, so no proxy sees config from half-loaded caches. A cluster that is not
    // reachable yet keeps istiod waiting (and retrying), not exiting.
    Thread readiness = new Thread(() -> awaitSyncedThenReady(env), "istiod-readiness");
    readiness.setDaemon(true);
    readiness.start();
  }

  /**
   * The cluster to use, as upstream decides: {@code --kubeconfig} (or {@code KUBECONFIG}), else
   * in-cluster credentials when running in a Pod; null means the embedded default (no cluster).
   */
  private KubernetesClient openKubeClient() throws IOException {
    io.fabric8.kubernetes.client.Config config;
    if (options.kubeconfig() != null) {
      config = KubeconfigFile.read(options.kubeconfig());
    } else if (options.inCluster()) {
      config = io.fabric8.kubernetes.client.Config.autoConfigure(null);
    } else {
      return null;
    }
    // Watches as plain HTTP requests, not WebSockets: the JDK client then multiplexes every LIST and WATCH over one
    // HTTP/2 connection, as client-go does, where a WebSocket each took its own connection and TLS handshake
    // (28 at start, most of them while the JIT had not yet compiled the JDK's TLS code).
    config.setOnlyHttpWatches(true);
    KubernetesClient client = new KubernetesClientBuilder().withConfig(config)
        .withKubernetesSerialization(KubeSerialization.withoutManagedFields()).build();
    closeables.add(client);
    log.info("using the Kubernetes API server at {}", config.getMasterUrl());
    return client;
  }

  /**
   * Upstream's order: a mesh config file wins when it exists (that is how the Helm chart mounts
   * the ConfigMap); otherwise, in a cluster, the {@code istio} ConfigMap is watched; otherwise
   * built-in defaults.
   */
  private MeshConfig initialMeshConfig() {
    if (Files.exists(options.meshConfigFile()) || kube == null) {
      return loadMeshConfig(options.meshConfigFile());
    }
    Features f = options.features();
    meshWatcher = new MeshConfigWatcher(kube, f.podNamespace(), MeshConfigWatcher.configMapName(f.revision()),
        updated -> {
          mesh = updated;
          DiscoveryServer d = discovery;
          if (d != null) {
            d.configUpdate(new PushRequest(Set.of(new ConfigKey(Kind.MESH_CONFIG, "", "mesh")),
                Set.of(TriggerReason.GLOBAL), true, true, Instant.now()));
          }
        });
    closeables.add(meshWatcher);
    return meshWatcher.current();
  }

  /** The cluster's CRDs and the config directory, in that order of precedence. */
  private ConfigStore openConfigStores() {
    List<ConfigStore> stores = new ArrayList<>();
    if (kube != null) {
      kubeConfigs = new KubeConfigStore(kube, KindRegistry.istio());
      closeables.add(kubeConfigs);
      stores.add(kubeConfigs);
    }
    if (options.configDir() != null) {
      directoryStore = DirectoryConfigStore.builder(options.configDir(), KindRegistry.istio()).build();
      closeables.add(directoryStore);
      stores.add(directoryStore);
    }
    if (stores.isEmpty()) {
      log.warn("no --configDir and no cluster: serving an empty mesh");
      return new MemoryConfigStore();
    }
    return stores.size() == 1 ? stores.get(0) : new AggregateConfigStore(stores);
  }

  /** A connecting sidecar takes its labels from its Pod, matched by IP and namespace. */
  private Proxy withWorkloadLabels(Proxy proxy) {
    return kubeServices.podForProxy(proxy).map(pod -> proxy.withLabels(pod.workloadLabels())).orElse(proxy);
  }

  /**
   * A Pod's labels or identity changed: the proxies running in it may now select other Sidecars,
   * DestinationRules or services, so just those proxies are re-initialized and pushed (upstream's
   * ProxyUpdate). Endpoint changes of the same Pod reach the other proxies as EDS pushes.
   */
  private void onPodChange(PodInfo pod) {
    DiscoveryServer d = discovery;
    KubeServiceRegistry services = kubeServices;
    if (d == null || services == null) {
      return;
    }
    d.proxyUpdate(proxy -> services.podForProxy(proxy)
        .filter(p -> p.name().equals(pod.name()) && p.namespace().equals(pod.namespace()))
        .isPresent());
  }

  /**
   * Config changes other than ServiceEntry and WorkloadEntry (which the ServiceEntry registry
   * turns into service and endpoint pushes) become full pushes naming the changed object.
   */
  private static void onConfigEvent(ConfigEvent event, Consumer<PushRequest> pushes) {
    Kind kind = event.key().kind();
    if (kind == Kind.SERVICE_ENTRY || kind == Kind.WORKLOAD_ENTRY) {
      return;
    }
    pushes.accept(PushRequest.full(TriggerReason.CONFIG, Set.of(event.key())));
  }

  /** What every config source skipped as invalid: the --configDir files, then the cluster's objects. */
  private List<ConfigError> configErrors() {
    List<ConfigError> errors = new ArrayList<>();
    if (directoryStore != null) {
      errors.addAll(directoryStore.errors());
    }
    if (kubeConfigs != null) {
      errors.addAll(kubeConfigs.errors());
    }
    return errors;
  }

  private boolean synced() {
    return configStore.hasSynced() && serviceEntries.hasSynced()
        && (kubeServices == null || kubeServices.hasSynced())
        && (meshWatcher == null || meshWatcher.hasSynced())
        && (credentials == null || credentials.hasSynced());
  }

  private void awaitSyncedThenReady(Environment env) {
    long nextLog = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    try {
      while (!synced()) {
        if (closed.get()) {
          return;
        }
        if (System.nanoTime() > nextLog) {
          log.info("waiting for caches to sync (configs {}, service entries {}, kubernetes services {}, "
              + "mesh config {}, credentials {})", configStore.hasSynced(), serviceEntries.hasSynced(),
              kubeServices == null || kubeServices.hasSynced(), meshWatcher == null || meshWatcher.hasSynced(),
              credentials == null || credentials.hasSynced());
          nextLog = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        }
        Thread.sleep(10);
      }
      if (meshWatcher != null) {
        mesh = meshWatcher.current();
      }
      HeapShrink.afterInitialSync();
      discovery.markReady();
      registerInfoMetrics();
      log.info("istiod ready: {} services, {} configs; xDS on {}, HTTP on {}, monitoring on {}",
          env.serviceDiscovery().services().size(), countConfigs(), describe(grpcServer),
          httpServer == null ? "-" : httpServer.address(), monitoringServer == null ? "-" : monitoringServer.address());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.error("istiod cannot become ready: {}", e.getMessage(), e);
    }
  }

  /** Waits until proxies are accepted; false on timeout. */
  boolean awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!discovery.isReady()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(5);
    }
    return true;
  }

  /**
   * The CA thread is done (see {@link CaStartup}): serves 15012 and the webhooks, and starts the
   * controllers that need the CA. A CA that cannot start ends istiod, as at start-up.
   */
  private void onCaStarted(CaStartup ca, Throwable error) {
    synchronized (lifecycle) {
      if (closed.get()) {
        if (ca != null) {
          ca.close();
        }
        return;
      }
      try {
        if (error != null) {
          CaStartup.await(caStartup); // rethrows the CA's failure as start-up's
        }
        closeables.add(ca);
        citadel = ca.citadel();
        servingCert = ca.servingCert();
        startSecureGrpc(ca);
        startWebhooks();
        startSingletonControllers();
        caServing.countDown();
      } catch (IOException | RuntimeException e) {
        log.error("failed to start: {}", e.getMessage());
        log.debug("start-up failure", e);
        failed = true;
        Thread stop = new Thread(this::close, "istiod-shutdown");
        stop.start();
      }
    }
  }

  /** True when istiod stopped because a part of it could not start after {@link #start} returned. */
  boolean failed() {
    return failed;
  }

  /**
   * A stream's caller: anonymous on the plaintext port (no TLS session, as upstream's 15010),
   * else the identity proven by its client certificate or Kubernetes token.
   */
  private java.util.List<String> authenticateXdsCaller() throws io.grpc.StatusException {
    AuthRequest request = AuthRequest.current();
    if (request.tlsSession().isEmpty()) {
      return java.util.List.of();
    }
    try {
      return citadel.authenticators().authenticate(request).identities();
    } catch (AuthenticationException e) {
      throw io.grpc.Status.UNAUTHENTICATED.withDescription("authentication failure: " + e.getMessage()).asException();
    }
  }

  /** 15012: xDS and the CA over TLS (ALPN h2, client certificates optional and verified). */
  private void startSecureGrpc(CaStartup ca) throws IOException {
    if (ca.secureGrpc() == null) {
      return;
    }
    Features f = options.features();
    GrpcServerOptions grpcOptions = new GrpcServerOptions(f.maxConcurrentStreams(), f.maxRecvMsgSize(),
        f.keepaliveInterval(), f.keepaliveTimeout(), options.keepaliveMaxServerConnectionAge(), Duration.ofSeconds(10));
    secureGrpcServer = grpcLoops.serveOn(grpcOptions.applyTo(ca.secureGrpc()), ports.secureGrpcChannel())
        .addService(discovery.bindService())
        .addService(citadel.service())
        .build()
        .start();
    closeables.add(() -> {
      secureGrpcServer.shutdown();
      if (!secureGrpcServer.awaitTermination(GRPC_DRAIN.toMillis(), TimeUnit.MILLISECONDS)) {
        secureGrpcServer.shutdownNow();
      }
    });
  }

  /**
   * 15017: the validating and injecting admission webhooks (Galley and the injector), with
   * istiod's serving certificate; in a cluster, the controllers that keep the webhook
   * configurations' caBundle current and flip validation to failurePolicy Fail once it works.
   */
  private void startWebhooks() throws IOException {
    Features f = options.features();
    if (ports.https() == null || servingCert == null) {
      return;
    }
    Optional<AdmissionHandler> validation = Optional.of(new ValidationWebhook(KindRegistry.istio(), metrics));
    Optional<AdmissionHandler> injection = Optional.empty();
    if (f.injectEnabled()) {
      java.util.function.Supplier<InjectionSettings> settings;
      if (kube != null) {
        InjectorConfigMapWatcher watcher = InjectorConfigMapWatcher.start(kube, f.podNamespace(),
            InjectorConfigMapWatcher.configMapName(f.revision()));
        closeables.add(watcher);
        settings = watcher;
      } else {
        InjectionSettings fixed = loadInjectionSettings();
        settings = () -> fixed;
      }
      injection = Optional.of(new InjectionWebhook(settings, () -> mesh,
          NativeSidecars.forMode(f.enableNativeSidecars(),
              kube == null ? Optional.<NativeSidecars.NodeVersions>empty() : Optional.of(nodeVersions())),
          f.revision(), f.compliancePolicy(), metrics));
    }
    admissionServer = AdmissionServer.start(ports.https(), new AdmissionServer.Options(options.httpsAddr(),
        new ReloadingKeyManager(servingCert), validation, injection, () -> discovery.isReady()));
    closeables.add(admissionServer);
    if (kube != null) {
      java.util.function.Supplier<byte[]> caBundle =
          () -> citadel.ca().bundle().rootsPem().getBytes(java.nio.charset.StandardCharsets.UTF_8);
      WebhookControllers.Options webhookOptions = WebhookControllers.Options.of(f.revision());
      WebhookCertPatcher patcher = new WebhookCertPatcher(kube, webhookOptions, caBundle);
      ValidationWebhookController validationController =
          new ValidationWebhookController(kube, webhookOptions, f.podNamespace(), caBundle);
      closeables.add(patcher);
      closeables.add(validationController);
      patcher.start();
      validationController.start();
      citadel.ca().onBundleChange(b -> {
        patcher.caBundleChanged();
        validationController.caBundleChanged();
      });
    }
  }

  /**
   * Work that one replica does for all: publishing {@code istio-ca-root-cert} to every namespace
   * (upstream's namespace controller), run only while this replica holds the
   * {@value ElectionIds#NAMESPACE_CONTROLLER} Lease. As upstream, the webhook caBundle patcher and
   * the validation webhook controller are not elected: every replica runs them, and their updates
   * are idempotent (a conflict is retried).
   */
  private void startSingletonControllers() {
    if (kube == null || citadel == null) {
      return;
    }
    Features f = options.features();
    LeaderElection.Options election = new LeaderElection.Options(f.podNamespace(), f.leaderElection().identity(),
        ElectionIds.NAMESPACE_CONTROLLER, f.leaderElection().ttl(), f.leaderElection().enabled());
    closeables.add(LeaderElection.start(kube, election, List.of(citadel::startRootCertPublisher)));
  }

  private NativeSidecars.NodeVersions nodeVersions() {
    KubeNodeVersions nodes = KubeNodeVersions.start(kube);
    closeables.add(nodes);
    return nodes;
  }

  /** Without a cluster, the injector reads upstream's files if present, else built-in defaults. */
  private static InjectionSettings loadInjectionSettings() throws IOException {
    Path dir = InjectionSettings.DEFAULT_DIRECTORY;
    return Files.isDirectory(dir) ? InjectionSettings.fromDirectory(dir) : InjectionSettings.defaults();
  }

  /** The bound webhook port (served once the CA is up); -1 when disabled. */
  int httpsPort() {
    return ports.https() == null ? -1 : ports.https().getAddress().getPort();
  }

  /** The bound secure xDS/CA port (served once the CA is up); -1 when disabled. */
  int secureGrpcPort() throws IOException {
    return ports.secureGrpcChannel() == null ? -1 : ports.secureGrpcAddress().getPort();
  }

  /** The CA's current root certificates, PEM, once the CA is up (for tests); "" without a CA. */
  String rootCertsPem() throws InterruptedException {
    if (caStartup == null || !caServing.await(2, TimeUnit.MINUTES)) {
      return "";
    }
    return citadel.ca().bundle().rootsPem();
  }

  private void startGrpc() throws IOException {
    if (ports.grpcChannel() == null) {
      return;
    }
    Features f = options.features();
    GrpcServerOptions grpcOptions = new GrpcServerOptions(f.maxConcurrentStreams(), f.maxRecvMsgSize(),
        f.keepaliveInterval(), f.keepaliveTimeout(), options.keepaliveMaxServerConnectionAge(), Duration.ofSeconds(10));
    grpcServer = grpcLoops.serveOn(grpcOptions.applyTo(NettyServerBuilder.forAddress(ports.grpcAddress())),
            ports.grpcChannel())
        .addService(discovery.bindService())
        .build()
        .start();
  }

  private void startHttp() throws IOException {
    DebugEndpoints debug = new DebugEndpoints(discovery, configStore, this::configErrors, () -> mesh,
        options.features().podName());
    if (ports.http() != null) {
      httpServer = HttpEndpoints.on(ports.http(), "http-debug");
      httpServer.route("/ready", r -> discovery.isReady()
          ? HttpEndpoints.Response.text(200, "")
          : HttpEndpoints.Response.text(503, "not ready\n"));
      if (options.features().enableDebugOnHttp()) {
        debug.registerOn(httpServer);
      }
      httpServer.start();
      closeables.add(httpServer);
    }
    if (ports.monitoring() != null) {
      monitoringServer = HttpEndpoints.on(ports.monitoring(), "http-monitoring");
      monitoringServer.route("/metrics", r -> HttpEndpoints.Response.text(200, PrometheusText.render(metrics.scrape())));
      monitoringServer.route("/version", r -> HttpEndpoints.Response.text(200, Version.current() + "\n"));
      debug.registerOn(monitoringServer);
      // The same pages for istioctl over xDS (istio.io/debug, `istioctl x internal-debug`).
      HttpEndpoints pages = monitoringServer;
      discovery.debugPages(page -> {
        HttpEndpoints.Response r = pages.serveInProcess("/debug/" + page);
        return java.util.Optional.of(new dev.istiod.xds.server.DebugPages.Page(r.status(), r.body()));
      });
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
    CompletableFuture<CaStartup> pending = caStartup;
    if (pending != null) {
      // Start-up failed while the CA thread was still at work: close what it makes (closing twice is harmless).
      pending.thenAccept(CaStartup::close);
    }
    synchronized (lifecycle) {
      for (int i = closeables.size() - 1; i >= 0; i--) {
        try {
          closeables.get(i).close();
        } catch (Exception e) {
          log.warn("error while closing {}", closeables.get(i).getClass().getSimpleName(), e);
        }
      }
    }
    log.info("shutdown complete");
    terminated.countDown();
  }
}
