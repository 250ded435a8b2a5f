package dev.istiod.xds.server;

import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.model.TriggerReason;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsGenerator;
import dev.istiod.xds.XdsResource;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ADS stream: the proxy on the other end, what it watches, and the nonce/ACK exchange per
 * type. The SotW and delta protocols differ only in how requests update the subscription and in
 * the response shape; both live in a subclass.
 *
 * <p>Concurrency: every field below is touched only from {@link #executor}, a serial executor
 * over a shared pool. gRPC callbacks (requests, cancellation, on-ready) and pushes from the push
 * workers are all submitted to it, so a request and a push never interleave, and responses leave
 * in the order they were generated. The only state read from other threads is the immutable
 * {@link #snapshot} and the fields fixed before the connection is registered.
 */
abstract sealed class Connection<ReqT, RespT> permits SotwConnection, DeltaConnection {
  private static final Logger log = LoggerFactory.getLogger(Connection.class);
  static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  /** Whether and what to generate for a request: nothing, the whole subscription, or some names. */
  record Decision(boolean respond, Set<String> only) {
    static final Decision NO = new Decision(false, null);
    static final Decision ALL = new Decision(true, null);

    static Decision only(Set<String> names) {
      return new Decision(true, Set.copyOf(names));
    }
  }

  final DiscoveryServer server;
  final SerialExecutor executor;
  final ServerCallStreamObserver<RespT> call;
  final ResponseSender<RespT> sender;
  final String peerAddress;
  final Instant connectedAt;

  // Set once, before the connection is registered (and so published) with the server.
  private Proxy proxy;
  /** Who opened the stream (SPIFFE ids), captured on the gRPC thread; empty when anonymous. */
  private List<String> callerIdentities = List.of();
  /** The proxy as its node describes it, before istiod enriched it (labels from its Pod...). */
  private Proxy nodeProxy;
  private String id;

  // Confined to the executor.
  final Map<String, WatchState> watched = new HashMap<>();
  private PushContext lastPush;
  private Instant lastPushTime;
  private boolean initialized;
  private boolean closed;

  private volatile XdsConnectionSnapshot snapshot;

  Connection(DiscoveryServer server, ServerCallStreamObserver<RespT> call, Executor shared, String peerAddress) {
    this.server = server;
    this.call = call;
    this.executor = new SerialExecutor(shared);
    this.sender = new ResponseSender<>(call);
    this.peerAddress = peerAddress;
    this.connectedAt = server.clock().instant();
  }

  abstract String typeUrlOf(ReqT request);

  abstract Node nodeOf(ReqT request);

  /** Applies one request to the subscription state and responds if the protocol says so. */
  abstract void handle(ReqT request);

  /**
   * Turns a generation result into a response, records it as sent, and hands it to gRPC.
   * Returns null when there is nothing worth sending.
   */
  abstract CompletableFuture<Void> respond(WatchState state, WatchedResource watched, GenerationResult result,
      PushContext push, boolean isPush, boolean partial);

  abstract boolean isDelta();

  /**
   * Hooks the connection to its gRPC call. Must run inside the service method: gRPC accepts the
   * on-ready and cancel handlers only there.
   */
  final StreamObserver<ReqT> start(Duration admissionDelay, ScheduledExecutorService scheduler) {
    call.setOnCancelHandler(() -> executor.execute(this::close));
    call.setOnReadyHandler(() -> executor.execute(sender::drain));
    // One request at a time: the next is read only after this one was handled, so a client that
    // floods requests is slowed by HTTP/2 flow control instead of filling our memory.
    call.disableAutoRequest();
    if (admissionDelay.isZero()) {
      call.request(1);
    } else {
      // The stream waits for its turn under the request rate limit without holding a thread: its first
      // request is read once the delay has passed.
      scheduler.schedule(() -> executor.execute(() -> {
        if (!closed) {
          call.request(1);
        }
      }), admissionDelay.toNanos(), TimeUnit.NANOSECONDS);
    }
    return new StreamObserver<>() {
      @Override
      public void onNext(ReqT request) {
        executor.execute(() -> receive(request));
      }

      @Override
      public void onError(Throwable t) {
        executor.execute(Connection.this::close);
      }

      @Override
      public void onCompleted() {
        executor.execute(() -> {
          close();
          try {
            call.onCompleted();
          } catch (RuntimeException e) {
            log.debug("Completing closed stream {}", id, e);
          }
        });
      }
    };
  }

  private void receive(ReqT request) {
    if (closed) {
      return;
    }
    try {
      if (!initialized) {
        if (TypeUrls.HEALTH_INFO.equals(typeUrlOf(request))) {
          // Upstream: a health probe may precede the first real request; it carries no node.
          log.warn("ADS: {} sent a health check probe before its first xDS request", peerAddress);
          call.request(1);
          return;
        }
        initialize(nodeOf(request));
      }
      handle(request);
      if (closed) {
        return; // a generator refused the request and ended the stream
      }
      publishSnapshot();
      call.request(1);
    } catch (StatusException e) {
      fail(e.getStatus());
    } catch (RuntimeException e) {
      log.error("ADS: failed to process a request on {}", id != null ? id : peerAddress, e);
      server.metrics().internalError();
      fail(Status.INTERNAL.withDescription("failed to process request: " + e.getMessage()));
    }
  }

  private void initialize(Node node) throws StatusException {
    if (node == null || node.getId().isEmpty()) {
      throw Status.INVALID_ARGUMENT.withDescription("missing node information").asException();
    }
    Proxy parsed;
    try {
      parsed = Proxy.fromNode(node);
    } catch (RuntimeException e) {
      String why = e.getMessage() != null ? e.getMessage() : e.toString();
      throw Status.INVALID_ARGUMENT.withDescription(why).asException();
    }
    try {
      parsed = parsed.withVerifiedIdentity(XdsAuthorization.check(parsed, callerIdentities));
    } catch (StatusException denied) {
      // As upstream's authorize: who tried to pose as whom is worth an operator's attention. The
      // identities are the caller's SPIFFE ids (never its token or certificate).
      log.warn("Unauthorized XDS: {} ({}) with identity {}: {}", peerAddress, node.getId(), callerIdentities,
          denied.getStatus().getDescription());
      throw denied;
    }
    nodeProxy = parsed;
    proxy = server.initializeProxy(parsed);
    id = server.nextConnectionId(parsed);
    // Register before reading the current snapshot: a push context published after this read is
    // then pushed to us by the push queue, and one published before it is what we read.
    server.register(this);
    initialized = true;
    lastPush = server.pushContext();
    lastPushTime = server.clock().instant();
    log.info("ADS: new {}connection for node:{} from {}", isDelta() ? "delta " : "", id, peerAddress);
  }

  final void callerIdentities(List<String> identities) {
    this.callerIdentities = List.copyOf(identities);
  }

  /** Starts a push on this connection; completes once its responses were handed to gRPC. */
  final CompletableFuture<Void> push(PushRequest request, PushContext context) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    executor.execute(() -> {
      if (closed || !initialized) {
        done.complete(null);
        return;
      }
      try {
        if (request.full()) {
          // Registries may know more about the workload now (a Pod's labels changed).
          proxy = server.initializeProxy(nodeProxy);
        }
        List<CompletableFuture<Void>> sends = pushTypes(request, context);
        lastPush = context;
        lastPushTime = request.start();
        publishSnapshot();
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> done.complete(null));
      } catch (RuntimeException e) {
        log.error("ADS: push to {} failed", id, e);
        done.complete(null);
      }
    });
    return done;
  }

  private List<CompletableFuture<Void>> pushTypes(PushRequest request, PushContext context) {
    List<CompletableFuture<Void>> sends = new ArrayList<>();
    boolean clustersSent = false;
    for (String typeUrl : PushOrder.sort(watched.keySet())) {
      // Incremental pushes reuse the push context, so nothing but endpoints (EDS) or secrets (SDS)
      // can have changed.
      if (!request.full() && !TypeUrls.ENDPOINT.equals(typeUrl) && !TypeUrls.SECRET.equals(typeUrl)) {
        continue;
      }
      XdsGenerator generator = server.generator(typeUrl);
      if (generator == null || !needsPush(generator, request)) {
        continue;
      }
      WatchState state = watched.get(typeUrl);
      String nonceBefore = state.nonceSent;
      // Clusters that changed warm until Envoy has their endpoints: after CDS went out, EDS goes out too.
      boolean mayElide = !request.forced() && !(clustersSent && TypeUrls.ENDPOINT.equals(typeUrl));
      sends.add(generateAndSend(state, generator, request, context, null, true, mayElide));
      clustersSent |= TypeUrls.CLUSTER.equals(typeUrl) && !state.nonceSent.equals(nonceBefore);
    }
    return sends;
  }

  private boolean needsPush(XdsGenerator generator, PushRequest request) {
    try {
      return generator.needsPush(proxy, request);
    } catch (RuntimeException e) {
      log.error("ADS: needsPush of {} failed for {}", TypeUrls.shortName(generator.typeUrl()), id, e);
      return true;
    }
  }

  /** Responds to the proxy's own request for one type, from the snapshot it was last pushed. */
  final void respondToRequest(WatchState state, Set<String> only) {
    XdsGenerator generator = server.generator(state.typeUrl);
    PushContext context = lastPush != null ? lastPush : server.pushContext();
    if (generator == null) {
      log.debug("ADS: no generator for {} requested by {}", state.typeUrl, id);
      return;
    }
    if (context == null) {
      return;
    }
    generateAndSend(state, generator, proxyRequest(), context, only, false, false);
  }

  private PushRequest proxyRequest() {
    return new PushRequest(Set.of(), Set.of(TriggerReason.PROXY_REQUEST), true, true, lastPushTime);
  }

  /**
   * Generates one type and sends it. {@code mayElide}: a push may skip the response when the proxy already holds
   * exactly what was generated (a SotW response repeats every resource; Envoy would compare and drop them all).
   */
  private CompletableFuture<Void> generateAndSend(WatchState state, XdsGenerator generator, PushRequest request,
      PushContext context, Set<String> only, boolean isPush, boolean mayElide) {
    WatchedResource w = only == null ? state.toWatched() : new WatchedResource(state.typeUrl, false, only);
    long t0 = System.nanoTime();
    GenerationResult result;
    try {
      result = generator.generate(proxy, context, w, request);
    } catch (io.grpc.StatusRuntimeException e) {
      // A generator that refuses the caller ends the stream with its status, as upstream's pushXds returning the
      // generator's error (the debug types: UNAUTHENTICATED without an identity).
      fail(e.getStatus());
      return DONE;
    } catch (RuntimeException e) {
      // The proxy keeps its last good config of this type; the other types still go out.
      log.error("ADS: generating {} for {} failed", TypeUrls.shortName(state.typeUrl), id, e);
      server.metrics().internalError();
      return DONE;
    }
    if (result == null) {
      return DONE;
    }
    if (!w.wildcard() && !TypeUrls.isDebug(state.typeUrl)) {
      // (A debug type's names are its parameters, e.g. config_dump's proxy id, not the names of its answers.)
      result = onlyNamed(result, w.resourceNames());
    }
    boolean debug = TypeUrls.isDebug(state.typeUrl);
    if (mayElide && !debug && !result.incremental() && state.holds(result.resources())) {
      log.debug("ADS: {} PUSH for {} unchanged ({} resources), not sent", TypeUrls.shortName(state.typeUrl), id,
          result.resources().size());
      return DONE;
    }
    CompletableFuture<Void> sent = respond(state, w, result, context, isPush, only != null);
    if (sent == null) {
      return DONE;
    }
    state.held(debug || result.incremental() || only != null ? null : result.resources());
    long bytes = result.resources().stream().mapToLong(r -> r.resource().getSerializedSize()).sum();
    server.metrics().pushed(state.typeUrl, Duration.ofNanos(System.nanoTime() - t0), bytes);
    log.debug("ADS: {} {} for {} resources:{} {}", TypeUrls.shortName(state.typeUrl),
        isPush ? (request.full() ? "PUSH" : "PUSH INC") : "RESPONSE", id, result.resources().size(), result.detail());
    return sent;
  }

  /** A proxy that named what it wants gets only those, whatever the generator produced. */
  private static GenerationResult onlyNamed(GenerationResult result, Set<String> names) {
    List<XdsResource> kept = result.resources().stream().filter(r -> names.contains(r.name())).toList();
    if (kept.size() == result.resources().size()) {
      return result;
    }
    return new GenerationResult(kept, result.removed(), result.incremental(), result.detail());
  }

  /** Hands a response to gRPC (respecting flow control) and times the hand-over. */
  final CompletableFuture<Void> send(RespT response) {
    long t0 = System.nanoTime();
    CompletableFuture<Void> f = sender.send(response);
    f.whenComplete((v, e) -> server.metrics().sent(Duration.ofNanos(System.nanoTime() - t0)));
    return f;
  }

  /** A NACK: remember the proxy's complaint and count it; never respond to it. */
  final void recordNack(WatchState state, String typeUrl, com.google.rpc.Status detail) {
    log.warn("ADS:{}: ACK ERROR {} {}:{}", TypeUrls.shortName(typeUrl), id, XdsMetrics.goCodeName(detail.getCode()),
        detail.getMessage());
    server.metrics().rejected(typeUrl, proxy.id(), detail.getCode());
    if (state != null) {
      state.lastError = detail.getMessage();
      state.held(null); // it kept its previous config: the next push sends again, as upstream retries
    }
  }

  /** Makes the state after this task visible to debug readers. */
  final void publishSnapshot() {
    if (!initialized) {
      return;
    }
    List<XdsConnectionSnapshot.Watch> types = PushOrder.sort(watched.keySet()).stream()
        .map(t -> watched.get(t).snapshot()).toList();
    snapshot = new XdsConnectionSnapshot(id, proxy, peerAddress, connectedAt, isDelta(), types);
  }

  /** The latest published state; null until the first request was handled. */
  final XdsConnectionSnapshot snapshot() {
    return snapshot;
  }

  final Proxy proxy() {
    return proxy;
  }

  final String id() {
    return id;
  }

  final Instant now() {
    return server.clock().instant();
  }

  /**
   * Requests never answered: workload health reports (upstream handles them out of band) and debug types this
   * server has no generator for.
   */
  final boolean ignored(String typeUrl) {
    return TypeUrls.HEALTH_INFO.equals(typeUrl) || (TypeUrls.isDebug(typeUrl) && server.generator(typeUrl) == null);
  }

  /** Ends the stream from the server side (shutdown, errors). */
  final void terminate(Status status) {
    executor.execute(() -> fail(status));
  }

  private void fail(Status status) {
    if (closed) {
      return;
    }
    close();
    try {
      call.onError(status.asRuntimeException());
    } catch (RuntimeException e) {
      log.debug("Failing closed stream {}", id, e);
    }
  }

  private void close() {
    if (closed) {
      return;
    }
    closed = true;
    sender.close();
    if (initialized) {
      server.unregister(this);
      log.info("ADS: {} {} terminated", peerAddress, id);
    }
  }

  @Override
  public String toString() {
    return id != null ? id : peerAddress;
  }
}
