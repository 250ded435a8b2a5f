package dev.istiod.model;

import java.time.Instant;
import java.util.EnumSet;
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

  /** Union of two requests; the result is full if either is, and starts at the earlier start. */
  public PushRequest merge(PushRequest other) {
    if (other == null) {
      return this;
    }
    Set<ConfigKey> keys = new TreeSet<>(configsUpdated);
    keys.addAll(other.configsUpdated);
    Set<TriggerReason> rs = EnumSet.noneOf(TriggerReason.class);
    rs.addAll(reasons);
    rs.addAll(other.reasons);
    Instant earliest = start.isBefore(other.start) ? start : other.start;
    return new PushRequest(keys, rs, full || other.full, forced || other.forced, earliest);
  }

  /** True if this request names at least one config of the given kind. */
  public boolean touches(Kind kind) {
    return configsUpdated.stream().anyMatch(k -> k.kind() == kind);
  }
}
