package dev.istiod.bench.load;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What every simulated proxy of one run shares: the parser memo, the scheduler for reconnects, the clock, and the
 * counters the phases read (responses and bytes per type, protocol problems, milestones reached).
 */
final class LoadContext {
  /** How many problem messages are kept verbatim for the report. */
  private static final int KEPT_PROBLEMS = 10;

  final ResourceParser parser;
  final ScheduledExecutorService scheduler;
  private final EnumMap<XdsType, LongAdder> responses = new EnumMap<>(XdsType.class);
  private final EnumMap<XdsType, LongAdder> bytes = new EnumMap<>(XdsType.class);
  private final LongAdder invalidResponses = new LongAdder();
  private final LongAdder acks = new LongAdder();
  private final LongAdder streamFailures = new LongAdder();
  private final Map<String, LongAdder> failuresByStatus = new ConcurrentHashMap<>();
  private final List<String> problems = new ArrayList<>();
  private final AtomicLong lastResponseNanos = new AtomicLong(System.nanoTime());
  private final AtomicInteger completed = new AtomicInteger();
  private final AtomicInteger watchesSeen = new AtomicInteger();

  LoadContext(ResourceParser parser, ScheduledExecutorService scheduler) {
    this.parser = parser;
    this.scheduler = scheduler;
    for (XdsType t : XdsType.values()) {
      responses.put(t, new LongAdder());
      bytes.put(t, new LongAdder());
    }
  }

  static long nanos() {
    return System.nanoTime();
  }

  void responseReceived(XdsType type, int size, long nanos) {
    responses.get(type).increment();
    bytes.get(type).add(size);
    lastResponseNanos.accumulateAndGet(nanos, Math::max);
  }

  /** A response of a type the proxy does not use: it still counts as traffic (for quiet detection). */
  void otherResponseReceived(long nanos) {
    lastResponseNanos.accumulateAndGet(nanos, Math::max);
  }

  void invalidResponse(String proxyId, String message) {
    invalidResponses.increment();
    keepProblem(proxyId + ": " + message);
  }

  void acked() {
    acks.increment();
  }

  /** An ADS stream ended: {@code code} is the gRPC status code (or how it ended), {@code detail} its description. */
  void streamFailed(String proxyId, String code, String detail) {
    streamFailures.increment();
    failuresByStatus.computeIfAbsent(code, k -> new LongAdder()).increment();
    keepProblem(proxyId + ": stream ended: " + code + (detail == null ? "" : ": " + detail));
  }

  private void keepProblem(String message) {
    synchronized (problems) {
      if (problems.size() < KEPT_PROBLEMS) {
        problems.add(message);
      }
    }
  }

  void milestones(int events) {
    if ((events & ProxyState.COMPLETED) != 0) {
      completed.incrementAndGet();
    }
    if ((events & ProxyState.WATCH_SEEN) != 0) {
      watchesSeen.incrementAndGet();
    }
  }

  /** A snapshot of the cumulative counters, to subtract phase boundaries. */
  Totals totals() {
    Map<XdsType, Long> r = new EnumMap<>(XdsType.class);
    Map<XdsType, Long> b = new EnumMap<>(XdsType.class);
    for (XdsType t : XdsType.values()) {
      r.put(t, responses.get(t).sum());
      b.put(t, bytes.get(t).sum());
    }
    return new Totals(r, b, invalidResponses.sum(), acks.sum(), streamFailures.sum());
  }

  /** Cumulative counters at one instant. */
  record Totals(Map<XdsType, Long> responses, Map<XdsType, Long> bytes, long invalidResponses, long acks,
      long streamFailures) {
    Totals minus(Totals earlier) {
      Map<XdsType, Long> r = new EnumMap<>(XdsType.class);
      Map<XdsType, Long> b = new EnumMap<>(XdsType.class);
      for (XdsType t : XdsType.values()) {
        r.put(t, responses.get(t) - earlier.responses.get(t));
        b.put(t, bytes.get(t) - earlier.bytes.get(t));
      }
      return new Totals(r, b, invalidResponses - earlier.invalidResponses, acks - earlier.acks,
          streamFailures - earlier.streamFailures);
    }
  }

  Map<String, Long> failuresByStatus() {
    Map<String, Long> out = new TreeMap<>();
    failuresByStatus.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  List<String> problems() {
    synchronized (problems) {
      return List.copyOf(problems);
    }
  }

  long lastResponseNanos() {
    return lastResponseNanos.get();
  }

  int completed() {
    return completed.get();
  }

  int watchesSeen() {
    return watchesSeen.get();
  }

  void resetWatches() {
    watchesSeen.set(0);
  }
}
