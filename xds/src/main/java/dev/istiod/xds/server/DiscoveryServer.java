package dev.istiod.xds.server;

import dev.istiod.model.Environment;
import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.model.TriggerReason;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsGenerator;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pilot's ADS server: {@code envoy.service.discovery.v3.AggregatedDiscoveryService} with both
 * {@code StreamAggregatedResources} (state of the world) and {@code DeltaAggregatedResources}.
 *
 * <p>Design note. Changes flow one way:
 * {@link #configUpdate} → {@link Debouncer} (merges bursts; only one released push at a time) →
 * on release, a full request rebuilds the {@link PushContext} while an endpoint-only request
 * reuses the current one → every connection is enqueued in the {@link PushQueue} (at most one
 * pending push per proxy, newer requests merge into it) → {@code PILOT_PUSH_THROTTLE} workers
 * take proxies in FIFO order and start their push → the push runs on the connection's serial
 * executor, generating types in {@link PushOrder} (CDS, EDS, LDS, RDS, ...) for the types the
 * proxy watches and whose generator says it needs a push.
 *
 * <p>Concurrency: the current push context is an immutable snapshot behind an
 * {@link AtomicReference}, read freely by generators on many threads. Each connection's state is
 * confined to its own serial executor (see {@link Connection}), so requests and pushes on one
 * stream never interleave while different streams run in parallel on a shared pool (virtual
 * threads: generation is CPU work, sends never block because they follow gRPC flow control).
 * The debouncer and the push queue each guard their few fields with one lock.
 *
 * <p>Invariants: a proxy is never sent a type it did not subscribe to; within a push, clusters
 * precede endpoints and listeners precede routes; a push context is only replaced by a newer
 * one; a slow proxy holds one in-flight push and one merged pending push, never more.
 *
 * <p>Lifecycle: construct, {@link #start()} the push workers, bind {@link #bindService()} on a
 * gRPC server, and {@link #markReady()} once the config and service caches have synced. Streams
 * opened before that are refused with {@code UNAVAILABLE}, as upstream does, so a proxy never
 * receives config computed from half-loaded caches.
 */
public final class DiscoveryServer
    implements AggregatedDiscoveryServiceGrpc.AsyncService, BindableService, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DiscoveryServer.class);
  static final String NOT_READY = "server is not ready to serve discovery information";

  private final Environment env;
  private final Map<String, XdsGenerator> generators;
  private final XdsServerOptions options;
  private final XdsMetrics metrics;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final ExecutorService connectionPool = Executors.newVirtualThreadPerTaskExecutor();
  private final PushVersions versions;
  private final Debouncer debouncer;
  private final PushQueue<Connection<?, ?>> queue = new PushQueue<>();
  private final PushWorkers<Connection<?, ?>> workers;
  private final RequestRateLimiter requestLimiter;

  private final ConcurrentHashMap<String, Connection<?, ?>> connections = new ConcurrentHashMap<>();
  private final AtomicReference<PushContext> current = new AtomicReference<>();
  private final Object rebuildLock = new Object();
  private final AtomicLong connectionCounter = new AtomicLong();
  private final AtomicLong fullPushes = new AtomicLong();
  private final AtomicLong incrementalPushes = new AtomicLong();
  private volatile boolean ready;
  private volatile UnaryOperator<Proxy> proxyInitializer = UnaryOperator.identity();
  private volatile XdsAuthenticator authenticator = XdsAuthenticator.NONE;
  private volatile DebugAccess debugAccess = DebugAccess.DEFAULT;
  private volatile ControlPlaneInstance controlPlane = ControlPlaneInstance.istiod("istiod", "unknown");
  private volatile DebugPages debugPages = DebugPages.NONE;

  /**
   * A server on the system clock, with its own debounce thread.
   *
   * @param generators one generator per type URL it serves
   * @param registry where the {@code pilot_*} metrics are registered
   */
  public DiscoveryServer(Environment env, Map<String, XdsGenerator> generators, XdsServerOptions options,
      PrometheusRegistry registry) {
    this(env, generators, options, registry, Clock.systemUTC(), debounceThread(), true);
  }

  /** A server on the given clock and debounce scheduler (tests drive both); the caller owns the scheduler. */
  public DiscoveryServer(Environment env, Map<String, XdsGenerator> generators, XdsServerOptions options,
      PrometheusRegistry registry, Clock clock, ScheduledExecutorService scheduler) {
    this(env, generators, options, registry, clock, scheduler, false);
  }

  private DiscoveryServer(Environment env, Map<String, XdsGenerator> generators, XdsServerOptions options,
      PrometheusRegistry registry, Clock clock, ScheduledExecutorService scheduler, boolean ownsScheduler) {
    this.env = Objects.requireNonNull(env, "env");
    this.generators = withDebugTypes(generators);
    this.options = Objects.requireNonNull(options, "options");
    this.metrics = new XdsMetrics(Objects.requireNonNull(registry, "registry"));
    metrics.exportPushStatus(current::get, registry);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.ownsScheduler = ownsScheduler;
    this.versions = new PushVersions(clock);
    this.debouncer = new Debouncer(options, scheduler, clock, this::push, metrics);
    this.requestLimiter = new RequestRateLimiter(options.requestRateLimit(), clock);
    this.workers = new PushWorkers<>(queue, item -> item.key().push(item.request(), item.context()),
        options.pushWaitLimit(), metrics, clock);
  }

  /**
   * The given generators plus istioctl's debug types, which read this server's connections (so they are built
   * here, holding a reference to a server that is still being constructed; they only use it when asked).
   */
  private Map<String, XdsGenerator> withDebugTypes(Map<String, XdsGenerator> given) {
    Map<String, XdsGenerator> all = new java.util.HashMap<>(given);
    all.putIfAbsent(TypeUrls.DEBUG_SYNCZ, new SynczGenerator(this));
    all.putIfAbsent(TypeUrls.DEBUG_CONFIG_DUMP, new ConfigDumpGenerator(this));
    all.putIfAbsent(TypeUrls.DEBUG, new DebugGenerator(this));
    return Map.copyOf(all);
  }

  private static ScheduledExecutorService debounceThread() {
    return Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().daemon().name("xds-debounce").factory());
  }

  /**
   * Sets how a connecting proxy is completed from the registries (as upstream's
   * {@code initializeProxy}: labels of its Pod, ...). Applied when a stream starts and before every
   * full push. Call before {@link #start()}.
   */
  public void proxyInitializer(UnaryOperator<Proxy> initializer) {
    this.proxyInitializer = Objects.requireNonNull(initializer, "initializer");
  }

  /**
   * Sets how stream callers are authenticated (istiod: client certificate or Kubernetes token on
   * 15012, anonymous on 15010). Authenticated callers may only connect as their own identity.
   * Call before {@link #start()}.
   */
  public void authenticator(XdsAuthenticator authenticator) {
    this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
  }

  /**
   * Sets who may read the debug types over xDS (upstream's ENABLE_DEBUG_ENDPOINT_AUTH and
   * DEBUG_ENDPOINT_AUTH_ALLOWED_NAMESPACES); the default is upstream's: enforced.
   */
  public void debugAccess(DebugAccess access) {
    this.debugAccess = Objects.requireNonNull(access, "access");
  }

  /** Sets the identity this server reports in {@code istio.io/debug/syncz} answers (istiod's POD_NAME, version). */
  public void controlPlane(ControlPlaneInstance instance) {
    this.controlPlane = Objects.requireNonNull(instance, "instance");
  }

  ControlPlaneInstance controlPlane() {
    return controlPlane;
  }

  /** Sets istiod's debug pages, which the {@code istio.io/debug} type renders ({@code istioctl x internal-debug}). */
  public void debugPages(DebugPages pages) {
    this.debugPages = Objects.requireNonNull(pages, "pages");
  }

  DebugPages debugPages() {
    return debugPages;
  }

  /** The mesh's root namespace (istio-system by default): debug callers from it see everything. */
  String systemNamespace() {
    String root = env.mesh().get().getRootNamespace();
    return root.isEmpty() ? "istio-system" : root;
  }

  /**
   * What a debug caller may see; the mesh's root namespace is the system namespace, as upstream's StatusGen.
   *
   * @throws io.grpc.StatusRuntimeException UNAUTHENTICATED (upstream's "authentication required") when access is
   *     enforced and the caller proved no identity, which ends its stream
   */
  DebugAccess.Scope debugScope(Proxy caller) {
    DebugAccess.Scope scope = debugAccess.scopeOf(caller, systemNamespace());
    if (scope instanceof DebugAccess.Denied) {
      log.warn("proxy {} is not authorized to receive debug info. Ensure you are connecting over TLS port and are "
          + "authenticated.", caller.id());
      throw Status.UNAUTHENTICATED.withDescription("authentication required").asRuntimeException();
    }
    return scope;
  }

  /** The proxy completed by the initializer; the node's own view if the initializer fails. */
  Proxy initializeProxy(Proxy fromNode) {
    try {
      return proxyInitializer.apply(fromNode);
    } catch (RuntimeException e) {
      log.warn("ADS: initializing proxy {} failed; using its node metadata only", fromNode.id(), e);
      return fromNode;
    }
  }

  /** Starts the push workers. */
  public void start() {
    workers.start(options.pushThrottle());
  }

  /**
   * Accepts streams from now on. Builds the first push context if none was built yet; istiod
   * calls this once its config and service caches have synced.
   *
   * @throws IllegalStateException if the first push context cannot be built
   */
  public void markReady() {
    synchronized (rebuildLock) {
      if (current.get() == null) {
        rebuild(PushRequest.forced(TriggerReason.GLOBAL));
      }
    }
    ready = true;
  }

  public boolean isReady() {
    return ready;
  }

  /**
   * What config sources (stores, registries) call on every change: the request is debounced,
   * merged with others, and pushed to every proxy.
   */
  public void configUpdate(PushRequest request) {
    metrics.inboundUpdate(!request.full());
    debouncer.submit(request);
  }

  /**
   * Pushes to every connected proxy now, without debouncing or rebuilding the push context (as
   * upstream's {@code AdsPushAll}, behind {@code /debug/adsz?push=true}).
   */
  public void pushAll(PushRequest request) {
    PushContext context = current.get();
    if (context == null) {
      context = rebuild(request);
    }
    countPush(request);
    enqueueAll(request, context);
  }

  /**
   * Something the registries know about particular workloads changed (a Pod's labels or service
   * account): re-initializes and fully regenerates just the connected proxies that {@code affected}
   * selects, from the current push context, without debouncing (upstream's {@code ProxyUpdate}).
   * The push context itself does not depend on which proxies run where, so it is not rebuilt; other
   * proxies are not pushed. Proxies connected to another istiod are not found here, which is fine:
   * that istiod sees the same change.
   *
   * @return how many connections were queued for a push
   */
  public int proxyUpdate(Predicate<Proxy> affected) {
    PushContext context = current.get();
    if (!ready || context == null) {
      return 0; // nobody was pushed anything yet; streams get the first snapshot when they start
    }
    PushRequest request = PushRequest.forced(TriggerReason.PROXY);
    var now = clock.instant();
    int queued = 0;
    for (Connection<?, ?> c : connections.values()) {
      Proxy proxy = c.proxy();
      if (proxy != null && affected.test(proxy)) {
        queue.enqueue(c, request, context, now);
        queued++;
      }
    }
    return queued;
  }

  /** A debounced request was released: rebuild the snapshot if the request is full, then fan out. */
  private void push(PushRequest request) {
    PushContext context;
    if (request.full()) {
      try {
        context = rebuild(request);
      } catch (IllegalStateException e) {
        return; // logged; proxies keep the config of the previous snapshot
      }
    } else {
      context = current.get();
      if (context == null) {
        return; // nothing was ever pushed, so nobody holds endpoints to update
      }
    }
    countPush(request);
    enqueueAll(request, context);
  }

  private void countPush(PushRequest request) {
    (request.full() ? fullPushes : incrementalPushes).incrementAndGet();
  }

  /**
   * Builds and publishes a new snapshot. Serialized, so snapshots are published in the order their
   * versions were taken and each one is built from its predecessor.
   */
  private PushContext rebuild(PushRequest request) {
    synchronized (rebuildLock) {
      String version = versions.next();
      long t0 = System.nanoTime();
      PushContext context;
      try {
        context = PushContext.build(env, version, current.get(), request);
      } catch (RuntimeException e) {
        log.error("XDS: failed to build push context {}; keeping the previous one", version, e);
        metrics.internalError();
        throw new IllegalStateException("failed to build push context " + version, e);
      }
      metrics.pushContextBuilt(Duration.ofNanos(System.nanoTime() - t0));
      current.set(context);
      log.debug("XDS: push context {} built in {} ms", version, (System.nanoTime() - t0) / 1_000_000);
      return context;
    }
  }

  private void enqueueAll(PushRequest request, PushContext context) {
    var now = clock.instant();
    for (Connection<?, ?> c : connections.values()) {
      queue.enqueue(c, request, context, now);
    }
  }

  @Override
  public StreamObserver<DiscoveryRequest> streamAggregatedResources(
      StreamObserver<DiscoveryResponse> responseObserver) {
    if (!ready) {
      return refuse(responseObserver);
    }
    Optional<Duration> admitted = admit(responseObserver);
    if (admitted.isEmpty()) {
      return noop();
    }
    List<String> identities;
    try {
      identities = authenticator.authenticate();
    } catch (StatusException e) {
      responseObserver.onError(e);
      return noop();
    }
    var call = (ServerCallStreamObserver<DiscoveryResponse>) responseObserver;
    SotwConnection c = new SotwConnection(this, call, connectionPool, PeerAddress.current());
    c.callerIdentities(identities);
    return c.start(admitted.get(), scheduler);
  }

  @Override
  public StreamObserver<DeltaDiscoveryRequest> deltaAggregatedResources(
      StreamObserver<DeltaDiscoveryResponse> responseObserver) {
    if (!ready) {
      return refuse(responseObserver);
    }
    Optional<Duration> admitted = admit(responseObserver);
    if (admitted.isEmpty()) {
      return noop();
    }
    List<String> identities;
    try {
      identities = authenticator.authenticate();
    } catch (StatusException e) {
      responseObserver.onError(e);
      return noop();
    }
    var call = (ServerCallStreamObserver<DeltaDiscoveryResponse>) responseObserver;
    DeltaConnection c = new DeltaConnection(this, call, connectionPool, PeerAddress.current());
    c.callerIdentities(identities);
    return c.start(admitted.get(), scheduler);
  }

  /**
   * A new stream's delay under {@code PILOT_MAX_REQUESTS_PER_SECOND}; empty (and the stream ended with
   * {@code RESOURCE_EXHAUSTED}, as upstream) when it would wait longer than a second.
   */
  private Optional<Duration> admit(StreamObserver<?> responseObserver) {
    Optional<Duration> delay = requestLimiter.admit();
    if (delay.isEmpty()) {
      String peer = PeerAddress.current();
      log.warn("ADS: \"{}\" exceeded rate limit: rate: Wait(n=1) would exceed context deadline", peer);
      responseObserver.onError(Status.RESOURCE_EXHAUSTED
          .withDescription("request rate limit exceeded: rate: Wait(n=1) would exceed context deadline")
          .asRuntimeException());
    }
    return delay;
  }

  private static <ReqT> StreamObserver<ReqT> refuse(StreamObserver<?> responseObserver) {
    responseObserver.onError(Status.UNAVAILABLE.withDescription(NOT_READY).asRuntimeException());
    return noop();
  }

  /** Swallows requests on a stream that was already ended with an error. */
  private static <ReqT> StreamObserver<ReqT> noop() {
    return new StreamObserver<>() {
      @Override
      public void onNext(ReqT value) {}

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }

  /**
   * The ADS service, with the interceptor that records each stream's peer address, reading SotW requests with
   * {@link DiscoveryRequestMarshaller}.
   */
  @Override
  public ServerServiceDefinition bindService() {
    ServerServiceDefinition generated = AggregatedDiscoveryServiceGrpc.bindService(this);
    ServerServiceDefinition.Builder ads = ServerServiceDefinition.builder(AggregatedDiscoveryServiceGrpc.SERVICE_NAME);
    for (ServerMethodDefinition<?, ?> method : generated.getMethods()) {
      ads.addMethod(withLazyNames(method));
    }
    return ServerInterceptors.intercept(ads.build(), PeerAddress.INTERCEPTOR);
  }

  @SuppressWarnings("unchecked")
  private static <Q, R> ServerMethodDefinition<Q, R> withLazyNames(ServerMethodDefinition<Q, R> method) {
    MethodDescriptor<Q, R> d = method.getMethodDescriptor();
    if (!d.getFullMethodName()
        .equals(AggregatedDiscoveryServiceGrpc.getStreamAggregatedResourcesMethod().getFullMethodName())) {
      return method;
    }
    MethodDescriptor<Q, R> lazy = d.toBuilder((MethodDescriptor.Marshaller<Q>) DiscoveryRequestMarshaller.INSTANCE,
        d.getResponseMarshaller()).build();
    return ServerMethodDefinition.create(lazy, method.getServerCallHandler());
  }

  /** The current push context; null until the first one was built. */
  public PushContext pushContext() {
    return current.get();
  }

  /** Every connected stream, by connection id (for {@code /debug/adsz} and {@code /debug/syncz}). */
  public List<XdsConnectionSnapshot> connections() {
    List<XdsConnectionSnapshot> out = new ArrayList<>();
    for (Connection<?, ?> c : connections.values()) {
      XdsConnectionSnapshot s = c.snapshot();
      if (s != null) {
        out.add(s);
      }
    }
    out.sort(Comparator.comparing(XdsConnectionSnapshot::connectionId));
    return List.copyOf(out);
  }

  /**
   * Generates, from the current push context, every type this server serves for one connected
   * proxy: what {@code /debug/config_dump?proxyID=} shows. Types the proxy watches use its
   * subscription; unwatched wildcard types are generated in full; unwatched named types (EDS,
   * RDS) are skipped since there is nothing to name.
   *
   * @param proxyId a connection id, a proxy id ({@code pod.namespace}), or part of a connection id
   * @return empty if no such proxy is connected or no push context exists yet
   */
  public Optional<ConfigDump> configDump(String proxyId) {
    PushContext context = current.get();
    Optional<XdsConnectionSnapshot> found = findConnection(proxyId);
    if (context == null || found.isEmpty()) {
      return Optional.empty();
    }
    XdsConnectionSnapshot s = found.get();
    PushRequest request = PushRequest.forced(TriggerReason.DEBUG);
    List<ConfigDump.TypedResources> types = new ArrayList<>();
    for (String typeUrl : PushOrder.sort(generators.keySet())) {
      if (TypeUrls.isDebug(typeUrl)) {
        continue; // answers about istiod, not config for the proxy
      }
      WatchedResource watched = s.watched().stream().filter(w -> w.typeUrl().equals(typeUrl)).findFirst()
          .map(w -> new WatchedResource(typeUrl, w.wildcard(), Set.copyOf(w.resourceNames())))
          .orElse(TypeUrls.isWildcardType(typeUrl) ? new WatchedResource(typeUrl, true, Set.of()) : null);
      if (watched == null) {
        continue;
      }
      try {
        GenerationResult r = generators.get(typeUrl).generate(s.proxy(), context, watched, request);
        if (r != null) {
          types.add(new ConfigDump.TypedResources(typeUrl,
              TypeUrls.SECRET.equals(typeUrl) ? redactKeys(r.resources()) : r.resources()));
        }
      } catch (RuntimeException e) {
        log.warn("config_dump: generating {} for {} failed", TypeUrls.shortName(typeUrl), proxyId, e);
      }
    }
    return Optional.of(new ConfigDump(s.connectionId(), s.proxy(), context.version(), types));
  }

  /** Private keys never leave istiod except to the proxy itself: debug views see "[redacted]", as upstream. */
  private static List<dev.istiod.xds.XdsResource> redactKeys(List<dev.istiod.xds.XdsResource> secrets) {
    List<dev.istiod.xds.XdsResource> out = new ArrayList<>();
    for (dev.istiod.xds.XdsResource x : secrets) {
      try {
        var secret = x.resource().unpack(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret.class);
        if (secret.hasTlsCertificate()) {
          secret = secret.toBuilder().setTlsCertificate(secret.getTlsCertificate().toBuilder()
              .setPrivateKey(io.envoyproxy.envoy.config.core.v3.DataSource.newBuilder()
                  .setInlineBytes(com.google.protobuf.ByteString.copyFromUtf8("[redacted]")))).build();
        }
        out.add(dev.istiod.xds.XdsResource.of(x.name(), secret));
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        log.warn("config_dump: secret {} is not a Secret; left out", x.name());
      }
    }
    return out;
  }

  private Optional<XdsConnectionSnapshot> findConnection(String proxyId) {
    List<XdsConnectionSnapshot> all = connections();
    Comparator<XdsConnectionSnapshot> newest = Comparator.comparing(XdsConnectionSnapshot::connectedAt);
    return all.stream().filter(s -> s.connectionId().equals(proxyId)).findFirst()
        .or(() -> all.stream().filter(s -> s.proxy().id().equals(proxyId)).max(newest))
        .or(() -> all.stream().filter(s -> s.connectionId().contains(proxyId)).max(newest));
  }

  /** Counters and queue depth of the push pipeline. */
  public PushStats pushStats() {
    return new PushStats(fullPushes.get(), incrementalPushes.get(), connections.size(), queue.pending(),
        queue.processing(), isIdle());
  }

  /** True when nothing is being debounced, queued or pushed (tests wait for this). */
  public boolean isIdle() {
    return debouncer.isIdle() && queue.isIdle();
  }

  /** Stops the push workers and ends every stream with {@code UNAVAILABLE}. */
  @Override
  public void close() {
    ready = false;
    workers.close();
    Status shutdown = Status.UNAVAILABLE.withDescription("server is shutting down");
    connections.values().forEach(c -> c.terminate(shutdown));
    if (ownsScheduler) {
      scheduler.shutdownNow();
    }
    connectionPool.shutdown();
  }

  // ---- for connections ----

  XdsGenerator generator(String typeUrl) {
    return generators.get(typeUrl);
  }

  XdsMetrics metrics() {
    return metrics;
  }

  Clock clock() {
    return clock;
  }

  String nextConnectionId(Proxy proxy) {
    return proxy.id() + "-" + connectionCounter.incrementAndGet();
  }

  void register(Connection<?, ?> connection) {
    connections.put(connection.id(), connection);
    metrics.connected(connection.proxy().metadata().istioVersion());
  }

  void unregister(Connection<?, ?> connection) {
    if (connections.remove(connection.id(), connection)) {
      metrics.disconnected(connection.proxy().metadata().istioVersion());
    }
  }
}
