package dev.istiod.xds.cache;

import dev.istiod.model.PushContext;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Generated xDS output shared across proxies: the third level of Istio's cache (after the informers'
 * stores and the {@link PushContext} indexes). The second to N-th proxy that needs a resource built from
 * the same inputs gets the same object — validated once, serialized once ({@code Any} holds the bytes) —
 * instead of generating, validating and packing it again.
 *
 * <p>Design note.
 * <ul>
 *   <li><b>Correctness comes from the key.</b> A key is a record that names every input the generator
 *       reads for that resource ({@link CacheKeys}): the service, the DestinationRule that applies, the
 *       proxy facts the builders look at, the snapshot indexes by identity. Two lookups with equal keys
 *       would generate equal bytes, so an entry is valid for as long as anyone asks for it by that key;
 *       a changed input simply yields another key. What the key cannot hold cheaply — a service's live
 *       endpoints — is a <em>stamp</em> ({@code EndpointIndex.version}) stored beside the value and
 *       compared on every read. The equivalence test (cached == uncached, byte for byte, over random
 *       edit sequences) is what keeps the keys complete.</li>
 *   <li><b>Memory comes from generations.</b> Entries live in a young and an old map. The first lookup
 *       with a newer push context than the young map's starts a new generation: young becomes old and
 *       the previous old map is dropped. A hit in the old map is copied into the young one. So what every
 *       push still uses survives (an edit of one VirtualService keeps every cluster), and what no push of
 *       the last two asked for is released without tracking dependencies. {@code PILOT_XDS_CACHE_SIZE}
 *       caps the young map; beyond it, results are used but not kept.</li>
 *   <li><b>Concurrency.</b> Generators on many threads read and fill the maps without locks. Two threads
 *       missing the same key both compute it; they produce equal values, and either may stay. Starting a
 *       generation is the only synchronized step.</li>
 * </ul>
 */
public final class XdsCache {
  /** Upstream's {@code PILOT_XDS_CACHE_SIZE} default. */
  public static final int DEFAULT_MAX_ENTRIES = 60_000;

  private static final XdsCache DISABLED = new XdsCache(false, 0, null);

  private record Stamped(long stamp, Object value) {}

  private record Generations(PushContext youngPush, ConcurrentHashMap<Object, Stamped> young,
      ConcurrentHashMap<Object, Stamped> old) {}

  private final boolean enabled;
  private final int maxEntries;
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final CounterDataPoint hitCount;
  private final CounterDataPoint missCount;
  private final Counter evictions;
  private volatile Generations generations = new Generations(null, new ConcurrentHashMap<>(), new ConcurrentHashMap<>());

  private XdsCache(boolean enabled, int maxEntries, PrometheusRegistry registry) {
    this.enabled = enabled;
    this.maxEntries = maxEntries;
    if (registry == null) {
      hitCount = null;
      missCount = null;
      evictions = null;
      return;
    }
    // Upstream's names (pilot/pkg/model/typed_xds_cache.go), exported without a _total suffix as upstream does.
    Counter reads = Counter.builder().name("pilot_xds_cache_reads").help("Total number of xds cache xdsCacheReads.")
        .labelNames("type").register(registry);
    hitCount = reads.labelValues("hit");
    missCount = reads.labelValues("miss");
    evictions = Counter.builder().name("pilot_xds_cache_evictions").help("Total number of xds cache evictions.")
        .labelNames("type").register(registry);
    GaugeWithCallback.builder().name("pilot_xds_cache_size").help("Current size of xds cache")
        .callback(cb -> cb.call(size())).register(registry);
  }

  /** A cache that never keeps anything: every read generates ({@code PILOT_ENABLE_XDS_CACHE=false}, tests). */
  public static XdsCache disabled() {
    return DISABLED;
  }

  /**
   * A cache keeping at most {@code maxEntries} entries per generation, its metrics in {@code registry}
   * (null: none).
   */
  public static XdsCache create(int maxEntries, PrometheusRegistry registry) {
    if (maxEntries <= 0) {
      throw new IllegalArgumentException("PILOT_XDS_CACHE_SIZE must be positive, got " + maxEntries);
    }
    return new XdsCache(true, maxEntries, registry);
  }

  public boolean enabled() {
    return enabled;
  }

  /**
   * The value cached for {@code key} with this {@code stamp}, else {@code compute}'s result, kept for the
   * next reader.
   *
   * @param push the push context the caller generates for (ages the cache; see the class note)
   * @param key names every input of {@code compute} except what the stamp covers; equal keys must yield
   *     equal values
   * @param stamp the version of the inputs the key leaves out (endpoints), read before computing
   */
  @SuppressWarnings("unchecked")
  public <V> V get(PushContext push, Object key, long stamp, Supplier<V> compute) {
    if (!enabled) {
      return compute.get();
    }
    Objects.requireNonNull(key, "key");
    Generations g = generationFor(push);
    Stamped s = g.young().get(key);
    if (s == null || s.stamp() != stamp) {
      Stamped aged = g.old().get(key);
      if (aged != null && aged.stamp() == stamp) {
        g.young().put(key, aged);
        s = aged;
      }
    }
    if (s != null && s.stamp() == stamp) {
      hit();
      return (V) s.value();
    }
    miss();
    V value = Objects.requireNonNull(compute.get(), "cached value");
    if (g.young().size() < maxEntries) {
      g.young().put(key, new Stamped(stamp, value));
    } else if (evictions != null) {
      evictions.labelValues("size").inc();
    }
    return value;
  }

  /** Drops everything (a mesh-wide change the keys cannot see, tests). */
  public void clear() {
    synchronized (this) {
      Generations g = generations;
      countCleared(g.young().size() + g.old().size());
      generations = new Generations(g.youngPush(), new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
    }
  }

  /** Entries held, young and old. */
  public int size() {
    Generations g = generations;
    return g.young().size() + g.old().size();
  }

  /** Reads answered from the cache, since start. */
  public long hits() {
    return hits.sum();
  }

  /** Reads that generated, since start. */
  public long misses() {
    return misses.sum();
  }

  private Generations generationFor(PushContext push) {
    Generations g = generations;
    if (push == null || push == g.youngPush() || isOlder(push, g.youngPush())) {
      return g; // an older snapshot (a proxy not yet pushed the newest) may use either map: keys are complete
    }
    synchronized (this) {
      g = generations;
      if (push != g.youngPush() && !isOlder(push, g.youngPush())) {
        countCleared(g.old().size());
        g = new Generations(push, new ConcurrentHashMap<>(), g.young());
        generations = g;
      }
      return g;
    }
  }

  private static boolean isOlder(PushContext push, PushContext than) {
    return than != null && push.createdAt().isBefore(than.createdAt());
  }

  private void countCleared(int n) {
    if (evictions != null && n > 0) {
      evictions.labelValues("clear").inc(n);
    }
  }

  private void hit() {
    hits.increment();
    if (hitCount != null) {
      hitCount.inc();
    }
  }

  private void miss() {
    misses.increment();
    if (missCount != null) {
      missCount.inc();
    }
  }
}
