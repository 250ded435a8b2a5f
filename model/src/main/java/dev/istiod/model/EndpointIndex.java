package dev.istiod.model;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * The endpoints of every service, written by registries and read by the EDS generator.
 *
 * <p>Design note: this is the one mutable structure that generators read. It lives outside the
 * immutable {@code PushContext} on purpose: an endpoint change (a pod scaled, a WorkloadEntry
 * moved) must reach proxies as incremental EDS without rebuilding the snapshot. Each service's
 * endpoints are kept per shard (one shard per registry object that contributed them, e.g. a
 * ServiceEntry, or a Kubernetes EndpointSlice set) as an immutable map that writers replace
 * atomically, so readers never lock and never see a half-applied update.
 *
 * <p>{@link #update} classifies a change as upstream does: the first endpoints of a service,
 * or a change in the set of service accounts, needs a full push (clusters' SANs depend on it);
 * other changes are incremental EDS; no effective change needs no push.
 */
public final class EndpointIndex {

  /** What a change to the index requires of the push pipeline. */
  public enum PushType { NONE, INCREMENTAL, FULL }

  private static final Comparator<Endpoint> ORDER =
      Comparator.comparing(Endpoint::address).thenComparingInt(Endpoint::port)
          .thenComparing(Endpoint::servicePortName);

  /**
   * One service's endpoints: the shards as written, and what readers ask for, computed once per write (readers
   * are many: every proxy's EDS and clusters). {@code version} is unique across the index and changes with every
   * effective write, so a cache may key generated output by it.
   */
  private record Shards(Map<String, List<Endpoint>> byShard, List<Endpoint> all, Set<String> serviceAccounts,
      long version) {
    static Shards of(Map<String, List<Endpoint>> byShard, long version) {
      List<Endpoint> all = new ArrayList<>();
      new TreeMap<>(byShard).values().forEach(all::addAll);
      return new Shards(Map.copyOf(byShard), List.copyOf(all), accountsOf(byShard), version);
    }
  }

  /** Per service: its shards. Values are immutable and replaced whole. */
  private final ConcurrentHashMap<ServiceKey, Shards> shards = new ConcurrentHashMap<>();
  private final AtomicLong versions = new AtomicLong();
  /** Counts changes, incremented after the change is in the map (see {@link #publishedVersion}). */
  private final AtomicLong published = new AtomicLong();

  /**
   * Replaces the endpoints one shard contributes to a service. An empty list removes the shard,
   * and the service disappears from the index once no shard has endpoints.
   */
  public PushType update(ServiceKey service, String shard, List<Endpoint> endpoints) {
    List<Endpoint> sorted = endpoints.stream().sorted(ORDER).toList();
    PushType[] result = {PushType.NONE};
    shards.compute(service, (k, old) -> {
      Map<String, List<Endpoint>> next = new TreeMap<>(old == null ? Map.of() : old.byShard());
      List<Endpoint> previous = next.get(shard);
      if (sorted.isEmpty()) {
        next.remove(shard);
      } else {
        next.put(shard, sorted);
      }
      if (old == null && !sorted.isEmpty()) {
        result[0] = PushType.FULL;
      } else if (!sorted.equals(previous == null ? List.of() : previous)) {
        result[0] = old.serviceAccounts().equals(accountsOf(next)) ? PushType.INCREMENTAL : PushType.FULL;
      }
      if (next.isEmpty()) {
        return null;
      }
      return result[0] == PushType.NONE ? old : Shards.of(next, versions.incrementAndGet());
    });
    if (result[0] != PushType.NONE) {
      published.incrementAndGet();
    }
    return result[0];
  }

  /** Removes a shard's contribution to a service; same classification as {@link #update}. */
  public PushType delete(ServiceKey service, String shard) {
    return update(service, shard, List.of());
  }

  /** All endpoints of a service across shards, in a stable order. */
  public List<Endpoint> endpoints(ServiceKey service) {
    Shards s = shards.get(service);
    return s == null ? List.of() : s.all();
  }

  /**
   * The version of a service's endpoints: 0 while it has none, else a number no other state of any service had.
   * Read it before reading the endpoints: output generated afterwards is at least as new as the version says.
   */
  public long version(ServiceKey service) {
    Shards s = shards.get(service);
    return s == null ? 0 : s.version();
  }

  /**
   * A version of the whole index: it changes after every change of any service's endpoints is visible. Output
   * generated after reading it is at least as new as it says, as for {@link #version(ServiceKey)}: a change
   * racing with the generation bumps it afterwards, so what was built from the older endpoints is never taken
   * for the newer.
   */
  public long publishedVersion() {
    return published.get();
  }

  /** The services that have endpoints. */
  public Set<ServiceKey> services() {
    return Set.copyOf(shards.keySet());
  }

  /** The service accounts of a service's endpoints (for SANs of clusters that reach it). */
  public Set<String> serviceAccounts(ServiceKey service) {
    Shards s = shards.get(service);
    return s == null ? Set.of() : s.serviceAccounts();
  }

  private static Set<String> accountsOf(Map<String, List<Endpoint>> byShard) {
    if (byShard == null) {
      return Set.of();
    }
    return byShard.values().stream().flatMap(List::stream).map(Endpoint::serviceAccount)
        .filter(s -> !s.isEmpty()).collect(Collectors.toUnmodifiableSet());
  }
}
