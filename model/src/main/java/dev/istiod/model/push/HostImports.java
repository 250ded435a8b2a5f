package dev.istiod.model.push;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code hosts} of a Sidecar egress listener ({@code ns/host}), grouped by namespace:
 * {@code *} is any namespace, {@code .} the proxy's config namespace, and a {@code ~} prefix on
 * the namespace excludes instead of imports (as upstream's {@code hostClassification}).
 */
final class HostImports {
  private static final Logger log = LoggerFactory.getLogger(HostImports.class);
  static final String ANY_NAMESPACE = "*";

  /** The hosts imported from (or excluded in) one namespace. */
  record ForNamespace(Set<String> exact, List<String> all, List<String> excluded) {
    boolean matchesService(String host) {
      if (exact.contains(host)) {
        return true;
      }
      boolean hw = Hosts.isWildcard(host);
      for (String imported : all) {
        if ((hw || Hosts.isWildcard(imported)) && Hosts.subsetOf(host, imported)) {
          return true;
        }
      }
      return false;
    }

    /** VirtualService hosts match in both directions (upstream's legacy, non-gateway semantics). */
    boolean matchesVirtualServiceHost(String host) {
      if (exact.contains(host)) {
        return true;
      }
      boolean hw = Hosts.isWildcard(host);
      for (String imported : all) {
        if ((hw || Hosts.isWildcard(imported)) && Hosts.matches(host, imported)) {
          return true;
        }
      }
      return false;
    }

    boolean excludes(String host) {
      return excluded.stream().anyMatch(e -> Hosts.subsetOf(host, e));
    }
  }

  private final Map<String, ForNamespace> byNamespace;

  private HostImports(Map<String, ForNamespace> byNamespace) {
    this.byNamespace = byNamespace;
  }

  static HostImports parse(List<String> hosts, String configNamespace) {
    Map<String, Set<String>> exact = new HashMap<>();
    Map<String, List<String>> all = new HashMap<>();
    Map<String, List<String>> excluded = new HashMap<>();
    for (String h : hosts) {
      int slash = h.indexOf('/');
      if (slash < 0 || h.indexOf('/', slash + 1) >= 0) {
        log.warn("ignoring Sidecar egress host {}: it must be namespace/dnsName", h);
        continue;
      }
      String ns = h.substring(0, slash);
      String name = h.substring(slash + 1).toLowerCase(java.util.Locale.ROOT);
      boolean exclude = ns.startsWith("~");
      if (exclude) {
        ns = ns.substring(1);
        ns = ns.isEmpty() ? ANY_NAMESPACE : ns;
      }
      if (ns.equals(".")) {
        ns = configNamespace;
      }
      exact.computeIfAbsent(ns, k -> new HashSet<>());
      all.computeIfAbsent(ns, k -> new ArrayList<>());
      excluded.computeIfAbsent(ns, k -> new ArrayList<>());
      if (exclude) {
        excluded.get(ns).add(name);
        continue;
      }
      if (!Hosts.isWildcard(name)) {
        exact.get(ns).add(name);
      }
      all.get(ns).add(name);
    }
    Map<String, ForNamespace> out = new HashMap<>();
    for (String ns : all.keySet()) {
      out.put(ns, new ForNamespace(Set.copyOf(exact.get(ns)), List.copyOf(all.get(ns)), List.copyOf(excluded.get(ns))));
    }
    return new HostImports(Map.copyOf(out));
  }

  ForNamespace forNamespace(String ns) {
    return byNamespace.get(ns);
  }

  ForNamespace anyNamespace() {
    return byNamespace.get(ANY_NAMESPACE);
  }

  /** True if the host is excluded by a {@code ~ns/host} in its namespace or in {@code ~*}. */
  boolean excluded(String host, String namespace) {
    ForNamespace own = byNamespace.get(namespace);
    ForNamespace any = anyNamespace();
    return (own != null && own.excludes(host)) || (any != null && any.excludes(host));
  }
}
