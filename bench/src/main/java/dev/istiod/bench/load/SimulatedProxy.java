package dev.istiod.bench.load;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceStub;
import io.grpc.Channel;
import io.grpc.Status;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One simulated Envoy: a node, an ADS stream (state of the world or delta) and the {@link ProxyState} it builds.
 *
 * <p>Concurrency: gRPC delivers one stream's callbacks one at a time, but a reconnect, an edit phase arming a watch
 * and the report read the state from other threads; everything that touches the state or sends on the stream
 * holds this object's lock. Parsing happens outside it.
 *
 * <p>A stream that ends while the run goes on is reopened after a jittered exponential back-off (0.5 s doubling up
 * to 30 s, Envoy's defaults), re-sending every subscription with the versions last accepted, as Envoy does.
 */
final class SimulatedProxy {
  /** The transport a proxy uses. */
  enum Protocol {
    SOTW,
    DELTA
  }

  /** One ADS stream; a reconnect makes a new one. */
  interface AdsStream {
    void open(AggregatedDiscoveryServiceStub stub);

    void cancel();
  }

  private static final long BACKOFF_BASE_MILLIS = 500;
  private static final long BACKOFF_MAX_MILLIS = 30_000;

  private final Workload workload;
  private final Node node;
  private final Protocol protocol;
  private final LoadContext ctx;
  private final AggregatedDiscoveryServiceStub stub;
  // @GuardedBy("this")
  private final ProxyState state = new ProxyState();
  // @GuardedBy("this")
  private AdsStream current;
  // @GuardedBy("this")
  private int consecutiveFailures;
  // @GuardedBy("this")
  private boolean stopped;

  SimulatedProxy(Workload workload, Node node, Protocol protocol, LoadContext ctx, Channel channel) {
    this.workload = workload;
    this.node = node;
    this.protocol = protocol;
    this.ctx = ctx;
    this.stub = AggregatedDiscoveryServiceGrpc.newStub(channel);
  }

  /** Opens the ADS stream (again, after a failure). */
  synchronized void connect() {
    if (stopped) {
      return;
    }
    state.opened(LoadContext.nanos());
    current = protocol == Protocol.DELTA ? new DeltaStream(this) : new SotwStream(this);
    current.open(stub);
  }

  /** Ends the stream for good. */
  synchronized void stop() {
    stopped = true;
    if (current != null) {
      current.cancel();
    }
  }

  /** Called by a stream that ended (error or server close): reconnect unless stopped. */
  synchronized void ended(AdsStream stream, Throwable error) {
    if (stream != current || stopped) {
      return;
    }
    current = null;
    if (error == null) {
      ctx.streamFailed(id(), "CLOSED", "the server ended the stream");
    } else {
      Status status = Status.fromThrowable(error);
      ctx.streamFailed(id(), status.getCode().name(), status.getDescription());
    }
    consecutiveFailures++;
    long ceiling = Math.min(BACKOFF_MAX_MILLIS, BACKOFF_BASE_MILLIS << Math.min(consecutiveFailures - 1, 16));
    long delay = ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
    ctx.scheduler.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
  }

  /** Whether {@code stream} is still this proxy's stream (a late callback of a replaced one is dropped); under the lock. */
  boolean isCurrent(AdsStream stream) {
    return stream == current;
  }

  /** A response was handled: the connection works, so the next failure backs off from the start. */
  void responded(int milestones) {
    consecutiveFailures = 0;
    ctx.milestones(milestones);
  }

  /** Starts waiting for a route configuration that differs from what the proxy holds now. */
  synchronized void watchRouteChange() {
    state.watch(new ProxyState.RouteChange(state.routesHeld()));
  }

  /** Starts waiting for an EDS response that carries {@code cluster}. */
  synchronized void watchEndpointUpdate(String cluster) {
    state.watch(new ProxyState.EndpointUpdate(cluster));
  }

  synchronized void stopWatching() {
    state.watch(null);
  }

  /** A consistent copy of what the report needs. */
  synchronized Snapshot snapshot() {
    long[] counts = new long[XdsType.values().length];
    long[] bytes = new long[counts.length];
    for (XdsType t : XdsType.values()) {
      counts[t.ordinal()] = state.heldCount(t);
      bytes[t.ordinal()] = state.heldBytes(t);
    }
    return new Snapshot(state.openedNanos(), state.completeNanos(), state.watchSeenNanos(), counts, bytes);
  }

  /**
   * The proxy's milestones (0 = not reached) and what it holds per type (indexed by {@link XdsType#ordinal()}).
   */
  record Snapshot(long openedNanos, long completeNanos, long watchSeenNanos, long[] heldCounts, long[] heldBytes) {}

  ProxyState state() {
    return state;
  }

  LoadContext ctx() {
    return ctx;
  }

  Node node() {
    return node;
  }

  Workload workload() {
    return workload;
  }

  Protocol protocol() {
    return protocol;
  }

  String id() {
    return node.getId();
  }
}
