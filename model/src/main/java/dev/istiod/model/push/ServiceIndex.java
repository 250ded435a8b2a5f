package dev.istiod.model.push;

import dev.istiod.model.Service;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every service of the registries in one snapshot, by hostname and namespace, with the
 * per-namespace visibility ({@code exportTo}) that sidecar scopes start from.
 *
 * <p>Immutable apart from a memo of "visible to namespace N" lists, which is a pure function of
 * the immutable content (a racing computation yields an equal list), so readers need no lock.
 */
public final class ServiceIndex {
  private final List<Service> all;
  private final Map<String, Map<String, Service>> byHostAndNamespace;
  private final ConcurrentHashMap<String, List<Service>> visibleByNamespace = new ConcurrentHashMap<>();

  private ServiceIndex(List<Service> all, Map<String, Map<String, Service>> byHostAndNamespace) {
    this.all = all;
    this.byHostAndNamespace = byHostAndNamespace;
  }

  /**
   * Indexes services in the registry's order. For a duplicate (hostname, namespace) the first wins,
   * except that a Kubernetes service replaces one from another registry, as upstream (nobody can
   * squat on a hostname with a ServiceEntry before the Kubernetes Service exists).
   */
  public static ServiceIndex build(List<Service> services) {
    Map<String, Map<String, Service>> byHost = new HashMap<>();
    List<Service> kept = new java.util.ArrayList<>();
    for (Service s : services) {
      Map<String, Service> byNs = byHost.computeIfAbsent(s.hostname(), k -> new TreeMap<>());
      Service existing = byNs.putIfAbsent(s.namespace(), s);
      if (existing == null) {
        kept.add(s);
      } else if (existing.registry() != Service.Registry.KUBERNETES && s.registry() == Service.Registry.KUBERNETES) {
        byNs.put(s.namespace(), s);
        kept.set(kept.indexOf(existing), s);
      }
    }
    Map<String, Map<String, Service>> frozen = new HashMap<>();
    byHost.forEach((h, m) -> frozen.put(h, java.util.Collections.unmodifiableMap(new TreeMap<>(m))));
    return new ServiceIndex(List.copyOf(kept), Map.copyOf(frozen));
  }

  public List<Service> all() {
    return all;
  }

  /** The services a proxy in {@code namespace} may see, in registry order. */
  public List<Service> visibleTo(String namespace) {
    return visibleByNamespace.computeIfAbsent(namespace,
        ns -> all.stream().filter(s -> isVisible(s, ns)).toList());
  }

  public boolean isVisible(Service s, String namespace) {
    return s.visibility().visibleTo(s.namespace(), namespace);
  }

  /** The services with this hostname, by namespace in alphabetical order. */
  public Map<String, Service> byNamespace(String hostname) {
    return byHostAndNamespace.getOrDefault(hostname, Map.of());
  }

  /**
   * The service with this hostname as a proxy in {@code namespace} sees it: its own namespace's
   * if there is one, else the first visible one alphabetically.
   */
  public Optional<Service> forHostname(String hostname, String namespace) {
    Map<String, Service> byNs = byNamespace(hostname);
    Service own = byNs.get(namespace);
    if (own != null && isVisible(own, namespace)) {
      return Optional.of(own);
    }
    return byNs.values().stream().filter(s -> isVisible(s, namespace)).findFirst();
  }
}
