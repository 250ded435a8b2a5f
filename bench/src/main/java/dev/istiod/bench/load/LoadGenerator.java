package dev.istiod.bench.load;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.ToLongFunction;

/**
 * The load generator's engine: connects the simulated proxies and runs the measured phases one after another.
 *
 * <p>Each proxy has its own plaintext HTTP/2 connection (like one Envoy behind its pilot-agent), all sharing one
 * Netty event loop and a small callback pool ({@code threads}), so the generator stays cheap beside the control
 * plane it measures. Every wait is bounded by {@code timeout}: a phase that does not converge ends at its timeout
 * and reports how many proxies did not.
 */
final class LoadGenerator implements AutoCloseable {
  /**
   * How to run.
   *
   * @param deltaPercent share of proxies (spread evenly over the list) that use delta xDS; the rest use SotW
   * @param connectRate new streams per second (0: all at once)
   * @param timeout bound of each wait: a phase's convergence, and the quiet after it
   * @param quiet how long no proxy may receive anything for the control plane to count as quiet
   * @param threads gRPC callback threads
   * @param controlPlane the control plane process to sample, or null
   * @param progress where to report progress of long waits, or null
   */
  record Options(String host, int port, List<Workload> workloads, int deltaPercent, double connectRate,
      Duration timeout, Duration quiet, int threads, EnvoyNode.Options node, ProcessProbe controlPlane,
      PrintStream progress) {
    Options {
      Objects.requireNonNull(host, "host");
      workloads = List.copyOf(workloads);
      if (workloads.isEmpty()) {
        throw new IllegalArgumentException("no proxies to simulate");
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port must be 1-65535: " + port);
      }
      if (deltaPercent < 0 || deltaPercent > 100) {
        throw new IllegalArgumentException("delta percent must be 0-100: " + deltaPercent);
      }
      if (connectRate < 0 || threads < 1 || timeout.isNegative() || timeout.isZero() || quiet.isNegative()) {
        throw new IllegalArgumentException("connect rate, timeout and quiet must not be negative, threads positive");
      }
      Objects.requireNonNull(node, "node");
    }
  }

  /** An edit phase's action: a shell command in the CLI, a change of the served config in tests. */
  @FunctionalInterface
  interface Edit {
    void run() throws Exception;
  }

  private static final long POLL_MILLIS = 10;
  /** Distinct resources parsed once per type before the memo starts over (see {@link ResourceParser}). */
  private static final int PARSE_MEMO_ENTRIES = 20_000;
  private static final long PROGRESS_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final Options options;
  private final EventLoopGroup eventLoop;
  private final ExecutorService callbacks;
  private final ScheduledExecutorService scheduler;
  private final LoadContext ctx;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<SimulatedProxy> proxies = new ArrayList<>();

  LoadGenerator(Options options) throws IOException, InterruptedException {
    this.options = options;
    this.eventLoop = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("loadgen-io", true),
        NioIoHandler.newFactory());
    this.callbacks = Executors.newFixedThreadPool(options.threads(), new DefaultThreadFactory("loadgen-grpc", true));
    this.scheduler = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("loadgen-timer", true));
    WarmUp.run(eventLoop, callbacks, scheduler, options.node());
    this.ctx = new LoadContext(new ResourceParser(PARSE_MEMO_ENTRIES), scheduler);
    InetSocketAddress address = new InetSocketAddress(options.host(), options.port());
    List<Workload> workloads = options.workloads();
    for (int i = 0; i < workloads.size(); i++) {
      ManagedChannel channel = NettyChannelBuilder.forAddress(address)
          .usePlaintext()
          .eventLoopGroup(eventLoop)
          .channelType(NioSocketChannel.class)
          .executor(callbacks)
          .maxInboundMessageSize(Integer.MAX_VALUE)
          .build();
      channels.add(channel);
      Workload w = workloads.get(i);
      proxies.add(new SimulatedProxy(w, EnvoyNode.of(w, options.node()), protocol(i), ctx, channel));
    }
  }

  /** Delta for an even spread of {@code deltaPercent} of the proxies. */
  private SimulatedProxy.Protocol protocol(int i) {
    int p = options.deltaPercent();
    return (long) (i + 1) * p / 100 > (long) i * p / 100 ? SimulatedProxy.Protocol.DELTA : SimulatedProxy.Protocol.SOTW;
  }

  List<SimulatedProxy> proxies() {
    return List.copyOf(proxies);
  }

  /**
   * Phase 1: connects every proxy (ramped at {@code connectRate}) and waits until all have CDS, EDS, LDS and RDS,
   * then for quiet.
   */
  PhaseResult initial() throws InterruptedException {
    Start start = Start.now(ctx, options.controlPlane());
    long gapNanos = options.connectRate() > 0 ? (long) (1e9 / options.connectRate()) : 0;
    for (int i = 0; i < proxies.size(); i++) {
      SimulatedProxy p = proxies.get(i);
      if (gapNanos == 0) {
        p.connect();
      } else {
        scheduler.schedule(p::connect, gapNanos * i, TimeUnit.NANOSECONDS);
      }
    }
    long deadline = start.nanos + options.timeout().toNanos();
    awaitCount("initial", ctx::completed, deadline);
    return finish("initial", start, null, null, SimulatedProxy.Snapshot::completeNanos);
  }

  /** Phase 2: runs the edit and waits until every proxy received a route configuration that differs. */
  PhaseResult vsEdit(Edit edit) throws InterruptedException {
    return editPhase("vs-edit", edit, SimulatedProxy::watchRouteChange);
  }

  /** Phase 3: runs the edit and waits until every proxy received an EDS response carrying {@code cluster}. */
  PhaseResult edsEdit(Edit edit, String cluster) throws InterruptedException {
    Objects.requireNonNull(cluster, "cluster");
    return editPhase("eds-edit", edit, p -> p.watchEndpointUpdate(cluster));
  }

  private PhaseResult editPhase(String name, Edit edit, Consumer<SimulatedProxy> watch)
      throws InterruptedException {
    waitQuiet(LoadContext.nanos() + options.timeout().toNanos());
    ctx.resetWatches();
    proxies.forEach(watch);
    Start start = Start.now(ctx, options.controlPlane());
    String error = null;
    try {
      edit.run();
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      error = name + " command failed: " + e.getMessage();
    }
    long commandEnd = LoadContext.nanos();
    if (error == null) {
      awaitCount(name, ctx::watchesSeen, commandEnd + options.timeout().toNanos());
    }
    PhaseResult result = finish(name, start, commandEnd, error, SimulatedProxy.Snapshot::watchSeenNanos);
    proxies.forEach(SimulatedProxy::stopWatching);
    return result;
  }

  /** The instant a phase started and the counters then. */
  private record Start(long nanos, LoadContext.Totals totals, ProcessProbe.Sample controlPlane, double ownCpu) {
    static Start now(LoadContext ctx, ProcessProbe probe) {
      return new Start(LoadContext.nanos(), ctx.totals(), probe == null ? null : probe.sample().orElse(null),
          ProcessProbe.ownCpuSeconds());
    }
  }

  private void awaitCount(String phase, IntSupplier count, long deadline) throws InterruptedException {
    long lastProgress = LoadContext.nanos();
    int lastCount = -1;
    while (count.getAsInt() < proxies.size() && LoadContext.nanos() < deadline) {
      Thread.sleep(POLL_MILLIS);
      long now = LoadContext.nanos();
      int c = count.getAsInt();
      // Every 10 s while it moves, every minute while it is stuck.
      if (options.progress() != null && now - lastProgress >= (c != lastCount ? PROGRESS_NANOS : 6 * PROGRESS_NANOS)) {
        options.progress().printf("loadgen: %s: %d/%d proxies converged%n", phase, c, proxies.size());
        lastProgress = now;
        lastCount = c;
      }
    }
  }

  /** Waits until no proxy received anything for {@code quiet}, or the deadline; true if quiet was reached. */
  boolean waitQuiet(long deadline) throws InterruptedException {
    long quiet = options.quiet().toNanos();
    while (true) {
      long now = LoadContext.nanos();
      long idle = now - ctx.lastResponseNanos();
      if (idle >= quiet) {
        return true;
      }
      if (now >= deadline) {
        return false;
      }
      Thread.sleep(Math.max(1, TimeUnit.NANOSECONDS.toMillis(Math.min(quiet - idle, deadline - now))));
    }
  }

  private PhaseResult finish(String name, Start start, Long commandEnd, String error,
      ToLongFunction<SimulatedProxy.Snapshot> milestone) throws InterruptedException {
    ProcessProbe probe = options.controlPlane();
    ProcessProbe.Sample atConvergence = probe == null ? null : probe.sample().orElse(null);
    waitQuiet(LoadContext.nanos() + options.timeout().toNanos());
    long end = LoadContext.nanos();
    ProcessProbe.Sample atEnd = probe == null ? null : probe.sample().orElse(null);
    LoadContext.Totals during = ctx.totals().minus(start.totals());

    List<Double> latencies = new ArrayList<>();
    long last = 0;
    long[][] held = new long[XdsType.values().length][proxies.size()];
    long[][] heldBytes = new long[XdsType.values().length][proxies.size()];
    for (int i = 0; i < proxies.size(); i++) {
      SimulatedProxy.Snapshot s = proxies.get(i).snapshot();
      long reached = milestone.applyAsLong(s);
      if (reached != 0) {
        long from = commandEnd != null ? commandEnd : s.openedNanos();
        latencies.add(Math.max(0, reached - from) / 1e6);
        last = Math.max(last, reached);
      }
      for (XdsType t : XdsType.values()) {
        held[t.ordinal()][i] = s.heldCounts()[t.ordinal()];
        heldBytes[t.ordinal()][i] = s.heldBytes()[t.ordinal()];
      }
    }
    long reference = commandEnd != null ? commandEnd : start.nanos();
    double convergence = latencies.isEmpty() ? 0 : Math.max(0, last - reference) / 1e9;
    Map<XdsType, PhaseResult.TypeStats> types = new EnumMap<>(XdsType.class);
    for (XdsType t : XdsType.values()) {
      types.put(t, PhaseResult.TypeStats.of(held[t.ordinal()], heldBytes[t.ordinal()], during.responses().get(t),
          during.bytes().get(t)));
    }
    PhaseResult.ControlPlane cp = null;
    if (start.controlPlane() != null && atConvergence != null && atEnd != null) {
      cp = new PhaseResult.ControlPlane(atConvergence.cpuSeconds() - start.controlPlane().cpuSeconds(),
          atEnd.cpuSeconds() - start.controlPlane().cpuSeconds(), atEnd.rssBytes(), atEnd.hwmBytes());
    }
    return new PhaseResult(name, proxies.size(), latencies.size(), convergence, PhaseResult.Latency.of(latencies),
        commandEnd == null ? null : (commandEnd - start.nanos()) / 1e9, (end - start.nanos()) / 1e9, cp,
        ProcessProbe.ownCpuSeconds() - start.ownCpu(), types, during.invalidResponses(), during.acks(),
        during.streamFailures(), error);
  }

  LoadContext context() {
    return ctx;
  }

  @Override
  public void close() throws InterruptedException {
    proxies.forEach(SimulatedProxy::stop);
    scheduler.shutdownNow();
    channels.forEach(ManagedChannel::shutdownNow);
    for (ManagedChannel c : channels) {
      c.awaitTermination(5, TimeUnit.SECONDS);
    }
    callbacks.shutdownNow();
    eventLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
  }
}
