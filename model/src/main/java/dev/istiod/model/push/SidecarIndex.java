package dev.istiod.model.push;

import dev.istiod.api.networking.v1alpha3.Sidecar;
import dev.istiod.model.Config;
import dev.istiod.model.Proxy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which Sidecar resource applies to a proxy, as upstream's {@code getSidecarScope}: in the
 * proxy's config namespace, the oldest Sidecar whose workload selector matches the proxy's labels,
 * else that namespace's Sidecar without selector; failing both, the root namespace's Sidecar
 * without selector; failing that, none (the implicit default scope).
 */
public final class SidecarIndex {
  static final Comparator<Config> ORDER = Comparator
      .comparing((Config c) -> c.spec(Sidecar.class).hasWorkloadSelector() ? 0 : 1)
      .thenComparing(c -> c.meta().creationTimestamp())
      .thenComparing(Config::name);

  private final Map<String, List<Config>> byNamespace;
  private final Config rootDefault;

  private SidecarIndex(Map<String, List<Config>> byNamespace, Config rootDefault) {
    this.byNamespace = byNamespace;
    this.rootDefault = rootDefault;
  }

  public static SidecarIndex build(List<Config> sidecars, String rootNamespace) {
    Map<String, List<Config>> byNs = new HashMap<>();
    for (Config c : sidecars) {
      byNs.computeIfAbsent(c.namespace(), k -> new ArrayList<>()).add(c);
    }
    Map<String, List<Config>> frozen = new HashMap<>();
    byNs.forEach((ns, l) -> frozen.put(ns, l.stream().sorted(ORDER).toList()));
    Config root = frozen.getOrDefault(rootNamespace, List.of()).stream()
        .filter(c -> !c.spec(Sidecar.class).hasWorkloadSelector())
        .findFirst().orElse(null);
    return new SidecarIndex(Map.copyOf(frozen), root);
  }

  /** The Sidecar resource for the proxy, or empty for the implicit default. */
  public Optional<Config> select(Proxy proxy) {
    for (Config c : byNamespace.getOrDefault(proxy.configNamespace(), List.of())) {
      Sidecar s = c.spec(Sidecar.class);
      if (!s.hasWorkloadSelector()
          || proxy.labels().entrySet().containsAll(s.getWorkloadSelector().getLabelsMap().entrySet())) {
        return Optional.of(c);
      }
    }
    return Optional.ofNullable(rootDefault);
  }
}
