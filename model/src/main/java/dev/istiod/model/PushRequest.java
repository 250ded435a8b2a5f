package dev.istiod.model;

import java.time.Instant;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What changed and why: the unit that flows from sources through the debouncer to the push
 * queue. Requests merge (union of keys and reasons), so a burst of events becomes one push.
 *
 * @param full true when the PushContext must be rebuilt and every type regenerated as needed;
 *     false for the incremental fast path: EDS of the services named in {@code configsUpdated}
 *     with kind {@link Kind#ENDPOINTS}, SDS of the secrets named with kind {@link Kind#SECRET}
 * @param forced regenerate everything regardless of what {@code configsUpdated} names
 *     (mesh config changes, debug pushes, new connections)
 * @param start when the earliest merged event happened (for convergence metrics)
 */
public record PushRequest(
    Set<ConfigKey> configsUpdated, Set<TriggerReason> reasons, boolean full, boolean forced, Instant start) {

  public PushRequest {
    configsUpdated = Set.copyOf(configsUpdated);
    reasons = reasons.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(reasons));
    start = start == null ? Instant.now() : start;
  }

  /** A full push caused by the given config changes. */
  public static PushRequest full(TriggerReason reason, Set<ConfigKey> keys) {
    return new PushRequest(keys, Set.of(reason), true, false, Instant.now());
  }

  /** A full push that regenerates everything (mesh config, debug). */
  public static PushRequest forced(TriggerReason reason) {
    return new PushRequest(Set.of(), Set.of(reason), true, true, Instant.now());
  }

  /** Endpoint-only change of these services: incremental EDS, no PushContext rebuild. */
  public static PushRequest endpoints(Set<ServiceKey> services) {
    Set<ConfigKey> keys = new TreeSet<>();
    services.forEach(s -> keys.add(new ConfigKey(Kind.ENDPOINTS, s.namespace(), s.hostname())));
    return new PushRequest(keys, Set.of(TriggerReason.ENDPOINT), false, false, Instant.now());
  }

  /**
   * These Secrets changed: an incremental push (no PushContext rebuild) that only SDS acts on,
   * regenerating the secrets the proxies watch under these names (upstream's SecretTrigger).
   *
   * @param secrets {@code namespace/name} keys of kind {@link Kind#SECRET}
   */
  public static PushRequest secrets(Set<ConfigKey> secrets) {
    for (ConfigKey k : secrets) {
      if (k.kind() != Kind.SECRET) {
        throw new IllegalArgumentException("not a secret: " + k);
      }
    }
    return new PushRequest(secrets, Set.of(TriggerReason.SECRET), false, false, Instant.now());
  }

  /**
   * Union of two requests; the result is full if either is, and starts at the earlier start. Costs
   * the size of both key sets (nothing when one request already holds all of the other's keys): to
   * fold many requests into one, use a {@link Merger}, which costs only the keys it is given.
   */
  public PushRequest merge(PushRequest other) {
    if (other == null) {
      return this;
    }
    Set<ConfigKey> larger = configsUpdated.size() >= other.configsUpdated.size() ? configsUpdated : other.configsUpdated;
    Set<ConfigKey> smaller = larger == configsUpdated ? other.configsUpdated : configsUpdated;
    if (!larger.containsAll(smaller)) {
      return new Merger().add(this).add(other).build();
    }
    // The larger set is already the union: share it (it is immutable, so the constructor keeps it).
    Set<TriggerReason> rs = EnumSet.noneOf(TriggerReason.class);
    rs.addAll(reasons);
    rs.addAll(other.reasons);
    Instant earliest = start.isBefore(other.start) ? start : other.start;
    return new PushRequest(larger, rs, full || other.full, forced || other.forced, earliest);
  }

  /** True if this request names at least one config of the given kind. */
  public boolean touches(Kind kind) {
    return configsUpdated.stream().anyMatch(k -> k.kind() == kind);
  }

  /**
   * Folds any number of requests into one at the cost of their keys, where a chain of
   * {@link #merge} calls would copy the growing union once per request. The first request is kept
   * as is until a second arrives (so one request costs nothing); from then on each request's keys
   * go into one mutable set, made immutable by {@link #build}. Mutable and not thread-safe: the
   * debouncer and the push queue each use one under their lock, and hand out only built requests.
   */
  public static final class Merger {
    private PushRequest single;
    private Set<ConfigKey> keys;
    private EnumSet<TriggerReason> reasons;
    private boolean full;
    private boolean forced;
    private Instant start;
    private int requests;

    /** Adds a request's keys, reasons and flags; returns this merger. */
    public Merger add(PushRequest request) {
      Objects.requireNonNull(request, "request");
      requests++;
      if (requests == 1) {
        single = request;
        return this;
      }
      if (single != null) {
        open(single, request);
        single = null;
      }
      keys.addAll(request.configsUpdated);
      reasons.addAll(request.reasons);
      full |= request.full;
      forced |= request.forced;
      if (request.start.isBefore(start)) {
        start = request.start;
      }
      return this;
    }

    /** Starts the mutable union from the first request, sized for the larger of the first two. */
    private void open(PushRequest first, PushRequest second) {
      keys = new HashSet<>(Math.max(first.configsUpdated.size(), second.configsUpdated.size()) * 2);
      keys.addAll(first.configsUpdated);
      reasons = EnumSet.noneOf(TriggerReason.class);
      reasons.addAll(first.reasons);
      full = first.full;
      forced = first.forced;
      start = first.start;
    }

    /** True until a request is added. */
    public boolean isEmpty() {
      return requests == 0;
    }

    /** How many requests were added. */
    public int requests() {
      return requests;
    }

    /** True if any request added so far is full. */
    public boolean full() {
      return single != null ? single.full : full;
    }

    /**
     * The union of every request added so far (the request itself when only one was). The merger
     * may go on taking requests; later builds include the earlier ones.
     *
     * @throws IllegalStateException if no request was added
     */
    public PushRequest build() {
      if (requests == 0) {
        throw new IllegalStateException("no push request to merge");
      }
      if (single != null) {
        return single;
      }
      return new PushRequest(keys, reasons, full, forced, start);
    }
  }
}
