package dev.istiod.model.push;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Problems found while generating configuration for one push, as upstream's push status
 * ({@code PushContext.ProxyStatus}): per metric (e.g.
 * {@code pilot_conflict_outbound_listener_tcp_over_current_tcp}), one entry per key (a listener
 * name, a proxy id) with the proxy it was seen for and a message. Upstream exports the number of
 * keys per metric as a gauge and the entries on {@code /debug/push_status}.
 *
 * <p>The one mutable part of a push context: generators for many proxies record into it
 * concurrently, so it is a concurrent map; a later entry for the same key replaces the earlier.
 */
public final class PushStatus {
  /** What was recorded for one key: the proxy it was seen for and what happened. */
  public record Entry(String proxy, String message) {}

  private final ConcurrentHashMap<String, ConcurrentHashMap<String, Entry>> byMetric = new ConcurrentHashMap<>();

  public void record(String metric, String key, String proxyId, String message) {
    byMetric.computeIfAbsent(metric, m -> new ConcurrentHashMap<>()).put(key, new Entry(proxyId, message));
  }

  /** The number of distinct keys recorded for {@code metric}. */
  public int count(String metric) {
    Map<String, Entry> m = byMetric.get(metric);
    return m == null ? 0 : m.size();
  }

  /** A sorted copy of everything recorded, for debug output. */
  public Map<String, Map<String, Entry>> snapshot() {
    Map<String, Map<String, Entry>> out = new TreeMap<>();
    byMetric.forEach((metric, entries) -> out.put(metric, new TreeMap<>(entries)));
    return out;
  }
}
