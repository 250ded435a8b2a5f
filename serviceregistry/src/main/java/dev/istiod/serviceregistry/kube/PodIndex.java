package dev.istiod.serviceregistry.kube;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Pods the registry knows, by name and by IP. Written only by the registry's event thread,
 * read from any thread (proxy association, endpoint building): both maps are concurrent and the
 * IP sets are immutable values replaced whole.
 *
 * <p>Only addressable Pods (with IPs, not finished, not being deleted) own their IPs, as upstream's
 * pod cache: a finished Pod's IP may already belong to a new one.
 */
final class PodIndex {
  private final ConcurrentHashMap<ObjectName, PodInfo> byName = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Set<ObjectName>> byIp = new ConcurrentHashMap<>();
  /** The IPs each Pod was indexed under, to unindex exactly those. Event thread only. */
  private final ConcurrentHashMap<ObjectName, List<String>> indexedIps = new ConcurrentHashMap<>();

  void put(PodInfo pod, boolean addressable) {
    ObjectName key = new ObjectName(pod.namespace(), pod.name());
    byName.put(key, pod);
    List<String> ips = addressable ? pod.ips() : List.of();
    List<String> previous = indexedIps.getOrDefault(key, List.of());
    if (!previous.equals(ips)) {
      unindex(key, previous);
      for (String ip : ips) {
        byIp.compute(ip, (k, v) -> {
          Set<ObjectName> next = v == null ? new HashSet<>() : new HashSet<>(v);
          next.add(key);
          return Set.copyOf(next);
        });
      }
      if (ips.isEmpty()) {
        indexedIps.remove(key);
      } else {
        indexedIps.put(key, ips);
      }
    }
  }

  void remove(ObjectName key) {
    byName.remove(key);
    List<String> previous = indexedIps.remove(key);
    if (previous != null) {
      unindex(key, previous);
    }
  }

  private void unindex(ObjectName key, List<String> ips) {
    for (String ip : ips) {
      byIp.computeIfPresent(ip, (k, v) -> {
        Set<ObjectName> next = new HashSet<>(v);
        next.remove(key);
        return next.isEmpty() ? null : Set.copyOf(next);
      });
    }
  }

  /** Whether the Pod is indexed by its IPs (it is addressable and has some). */
  boolean ownsIps(ObjectName key) {
    return indexedIps.containsKey(key);
  }

  Optional<PodInfo> get(ObjectName key) {
    return Optional.ofNullable(byName.get(key));
  }

  /** The addressable Pods that own this IP (several only for host-network Pods). */
  List<PodInfo> withIp(String ip) {
    List<PodInfo> out = new ArrayList<>();
    for (ObjectName key : byIp.getOrDefault(ip, Set.of())) {
      PodInfo p = byName.get(key);
      if (p != null) {
        out.add(p);
      }
    }
    out.sort((a, b) -> new ObjectName(a.namespace(), a.name()).compareTo(new ObjectName(b.namespace(), b.name())));
    return out;
  }

  /** A Pod in this namespace owning this IP: the best guess upstream makes for hand-made endpoints. */
  Optional<PodInfo> withIp(String namespace, String ip) {
    return withIp(ip).stream().filter(p -> p.namespace().equals(namespace)).findFirst();
  }

  Collection<PodInfo> all() {
    return List.copyOf(byName.values());
  }

  int size() {
    return byName.size();
  }
}
