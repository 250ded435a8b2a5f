package dev.istiod.serviceregistry.serviceentry;

import dev.istiod.model.ConfigKey;
import dev.istiod.model.Service;
import dev.istiod.model.ServiceKey;
import dev.istiod.model.ServicePort;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ServiceEntry registry's write side: the current state of every ServiceEntry, and the
 * {@link RegistrySnapshot} readers get, kept up to date one entry at a time.
 *
 * <p>Design note. Replacing or removing one entry touches only what that entry contributes:
 * the hosts it declares (re-merged from the entries sharing each host), the endpoint addresses its
 * instances sit at, its place among the selector entries of its namespace. So an event costs the
 * same whatever the number of other entries (bar the O(log n) of the persistent maps), which
 * {@link #steps()} counts for tests. Not thread-safe: owned by the registry's event thread.
 *
 * <p>Several ServiceEntries may declare the same host in one namespace. The oldest entry (by
 * {@link EntryAge}) defines the service; a later one whose resolution, labels, exportTo and
 * selector agree adds the port numbers the first lacks, as upstream's sidecar scope merges such
 * services. A later one that disagrees is ignored for the service (its endpoints still join the
 * same {@link ServiceKey} in the endpoint index, as upstream's do).
 */
final class EntryIndex {
  private static final Logger log = LoggerFactory.getLogger(EntryIndex.class);

  /** One entry's own service for a host it declares. */
  private record HostPart(ConvertedEntry entry, Service service) {}

  private final Map<ConfigKey, EntryState> entries = new HashMap<>();
  /** Per host, the entries declaring it, oldest first. */
  private final Map<ServiceKey, TreeMap<EntryAge, HostPart>> hosts = new HashMap<>();
  private final SelectorIndex selectors = new SelectorIndex();
  private RegistrySnapshot snapshot = RegistrySnapshot.EMPTY;
  private long steps;

  EntryState get(ConfigKey key) {
    return entries.get(key);
  }

  boolean contains(ConfigKey key) {
    return entries.containsKey(key);
  }

  int size() {
    return entries.size();
  }

  /** A copy of the keys of every entry held. */
  List<ConfigKey> keys() {
    return List.copyOf(entries.keySet());
  }

  /** The snapshot reflecting every change so far. */
  RegistrySnapshot snapshot() {
    return snapshot;
  }

  /**
   * Entries, services and instances visited so far: a measure of work that tests compare across
   * registry sizes instead of timing it.
   */
  long steps() {
    return steps;
  }

  void countSteps(int n) {
    steps += n;
  }

  /** Adds or replaces an entry; returns the one it replaced, or null. */
  EntryState put(EntryState next) {
    EntryState old = entries.put(next.entry().key(), next);
    Set<ServiceKey> touched = new LinkedHashSet<>();
    if (old != null) {
      unindex(old, touched);
    }
    index(next, touched);
    touched.forEach(this::remerge);
    return old;
  }

  /** Removes an entry; returns it, or null if there was none. */
  EntryState remove(ConfigKey key) {
    EntryState old = entries.remove(key);
    if (old != null) {
      Set<ServiceKey> touched = new LinkedHashSet<>();
      unindex(old, touched);
      touched.forEach(this::remerge);
    }
    return old;
  }

  /**
   * The entries of {@code namespace} whose selector matches a workload's labels before or after
   * its change (null = it was or is absent).
   */
  List<EntryState> selecting(String namespace, Map<String, String> before, Map<String, String> after) {
    Set<ConfigKey> candidates = new LinkedHashSet<>();
    if (before != null) {
      candidates.addAll(selectors.candidates(namespace, before));
    }
    if (after != null) {
      candidates.addAll(selectors.candidates(namespace, after));
    }
    steps += candidates.size();
    List<EntryState> out = new ArrayList<>();
    for (ConfigKey key : candidates) {
      EntryState state = entries.get(key);
      Map<String, String> selector = state.entry().selector().orElseThrow();
      if ((before != null && Selectors.matches(selector, before))
          || (after != null && Selectors.matches(selector, after))) {
        out.add(state);
      }
    }
    return out;
  }

  private void index(EntryState state, Set<ServiceKey> touched) {
    ConvertedEntry entry = state.entry();
    EntryAge age = EntryAge.of(entry);
    for (Service svc : entry.services()) {
      hosts.computeIfAbsent(svc.key(), k -> new TreeMap<>()).put(age, new HostPart(entry, svc));
      touched.add(svc.key());
    }
    instancesByAddress(state).forEach((address, instances) -> {
      snapshot = snapshot.withInstances(address, age, instances);
      steps++;
    });
    if (entry.selector().isPresent()) {
      selectors.add(entry);
      snapshot = snapshot.withSelectorEntry(entry.namespace(), age, entry);
      steps++;
    }
  }

  private void unindex(EntryState state, Set<ServiceKey> touched) {
    ConvertedEntry entry = state.entry();
    EntryAge age = EntryAge.of(entry);
    for (Service svc : entry.services()) {
      TreeMap<EntryAge, HostPart> parts = hosts.get(svc.key());
      parts.remove(age);
      if (parts.isEmpty()) {
        hosts.remove(svc.key());
      }
      touched.add(svc.key());
    }
    for (String address : instancesByAddress(state).keySet()) {
      snapshot = snapshot.withInstances(address, age, null);
      steps++;
    }
    if (entry.selector().isPresent()) {
      selectors.remove(entry);
      snapshot = snapshot.withSelectorEntry(entry.namespace(), age, null);
      steps++;
    }
  }

  /** An entry's instances grouped by endpoint address, in the entry's order. */
  private static Map<String, List<Instance>> instancesByAddress(EntryState state) {
    Map<String, List<Instance>> out = new LinkedHashMap<>();
    for (Instance i : state.instances()) {
      out.computeIfAbsent(i.endpoint().address(), a -> new ArrayList<>()).add(i);
    }
    return out;
  }

  /** Recomputes one host's service from the entries declaring it, oldest first. */
  private void remerge(ServiceKey key) {
    TreeMap<EntryAge, HostPart> parts = hosts.get(key);
    Service merged = null;
    ConvertedEntry first = null;
    if (parts != null) {
      for (HostPart part : parts.values()) {
        steps++;
        if (merged == null) {
          merged = part.service();
          first = part.entry();
        } else {
          merged = mergePorts(merged, first, part.service(), part.entry());
        }
      }
    }
    snapshot = snapshot.withService(key, merged);
  }

  private static Service mergePorts(Service base, ConvertedEntry baseEntry, Service later, ConvertedEntry laterEntry) {
    boolean compatible = base.resolution() == later.resolution()
        && base.labels().equals(later.labels())
        && base.visibility().equals(later.visibility())
        && baseEntry.selector().equals(laterEntry.selector());
    if (!compatible) {
      log.debug("host {} in {} is defined by both {} and {}; the older one wins",
          base.hostname(), base.namespace(), baseEntry.key(), laterEntry.key());
      return base;
    }
    List<ServicePort> ports = new ArrayList<>(base.ports());
    for (ServicePort p : later.ports()) {
      if (base.port(p.port()).isEmpty()) {
        ports.add(p);
      }
    }
    if (ports.size() == base.ports().size()) {
      return base;
    }
    return new Service(base.hostname(), base.namespace(), base.addresses(), ports, base.resolution(),
        base.meshExternal(), base.visibility(), base.labels(), base.subjectAltNames(), base.registry(),
        base.origin());
  }
}
