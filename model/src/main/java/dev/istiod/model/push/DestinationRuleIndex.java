package dev.istiod.model.push;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.networking.v1alpha3.DestinationRule;
import dev.istiod.api.networking.v1alpha3.Subset;
import dev.istiod.model.Config;
import dev.istiod.model.Service;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * DestinationRules indexed for upstream's lookup order: for a proxy in namespace N and a service
 * S, (1) rules in N visible to N (for the root namespace: its private rules), (2) rules exported
 * from S's namespace to N, (3) rules exported from the root namespace to N. Within each pool the
 * most specific host wins ({@code reviews.default.svc.cluster.local} over
 * {@code *.default.svc.cluster.local} over {@code *}).
 *
 * <p>Immutable once built; safe to share between threads.
 */
public final class DestinationRuleIndex {
  static final Comparator<Config> ORDER = Comparator
      .comparing((Config c) -> c.spec(DestinationRule.class).hasWorkloadSelector() ? 0 : 1)
      .thenComparing(c -> c.meta().creationTimestamp())
      .thenComparing(Config::name)
      .thenComparing(Config::namespace);

  /** DestinationRules of one pool keyed by resolved host, exact and wildcard apart. */
  record ByHost(Map<String, List<ResolvedDestinationRule>> specific, Map<String, List<ResolvedDestinationRule>> wildcard) {
    static final ByHost EMPTY = new ByHost(Map.of(), Map.of());

    List<ResolvedDestinationRule> lookup(String host) {
      return Hosts.mostSpecific(host, specific, wildcard).orElse(List.of());
    }
  }

  private final Map<String, ByHost> namespaceLocal;
  private final Map<String, ByHost> exportedByNamespace;
  private final ByHost rootNamespaceLocal;
  private final String rootNamespace;

  private DestinationRuleIndex(Map<String, ByHost> namespaceLocal, Map<String, ByHost> exportedByNamespace,
      ByHost rootNamespaceLocal, String rootNamespace) {
    this.namespaceLocal = namespaceLocal;
    this.exportedByNamespace = exportedByNamespace;
    this.rootNamespaceLocal = rootNamespaceLocal;
    this.rootNamespace = rootNamespace;
  }

  public static DestinationRuleIndex build(List<Config> configs, MeshConfig mesh, String domainSuffix) {
    List<Config> sorted = configs.stream().sorted(ORDER).toList();
    boolean defaultPrivate = mesh.getDefaultDestinationRuleExportToList().contains(".");
    Map<String, Pool> local = new HashMap<>();
    Map<String, Pool> exported = new HashMap<>();
    Pool rootLocal = new Pool();
    for (Config c : sorted) {
      DestinationRule spec = c.spec(DestinationRule.class);
      String host = Hosts.resolveShortName(spec.getHost(), c.namespace(), domainSuffix);
      DestinationRule rule = spec.toBuilder().setHost(host).build();
      Set<String> exportTo = new LinkedHashSet<>();
      Set<String> rawExportTo = new HashSet<>();
      if (rule.hasWorkloadSelector()) {
        exportTo.add(c.namespace()); // rules with a selector are never exported
        rawExportTo.add(".");
      } else {
        rule.getExportToList().forEach(e -> exportTo.add(e.equals(".") ? c.namespace() : e));
        rawExportTo.addAll(rule.getExportToList());
      }
      ResolvedDestinationRule resolved = new ResolvedDestinationRule(host, rule, c, exportTo, List.of(c.key()));
      if (exportTo.isEmpty() || exportTo.contains("*") || exportTo.contains(c.namespace())) {
        local.computeIfAbsent(c.namespace(), k -> new Pool()).merge(resolved, rawExportTo);
      }
      boolean privateOnly = (exportTo.isEmpty() && defaultPrivate)
          || (exportTo.size() == 1 && exportTo.contains(c.namespace()));
      if (!privateOnly) {
        exported.computeIfAbsent(c.namespace(), k -> new Pool()).merge(resolved, rawExportTo);
      } else if (c.namespace().equals(mesh.getRootNamespace())) {
        rootLocal.merge(resolved, rawExportTo);
      }
    }
    return new DestinationRuleIndex(freeze(local), freeze(exported), rootLocal.freeze(), mesh.getRootNamespace());
  }

  /**
   * The DestinationRules that apply to {@code service} for a proxy in {@code proxyNamespace}, as
   * upstream's {@code PushContext.destinationRule}: a list because rules with workload selectors
   * sit beside the catch-all one; {@link SidecarScope#destinationRule} picks among them.
   */
  public List<ResolvedDestinationRule> lookup(String proxyNamespace, Service service) {
    String host = service.hostname();
    if (!proxyNamespace.equals(rootNamespace)) {
      List<ResolvedDestinationRule> drs = namespaceLocal.getOrDefault(proxyNamespace, ByHost.EMPTY).lookup(host);
      if (!drs.isEmpty()) {
        return drs;
      }
    } else {
      List<ResolvedDestinationRule> drs = rootNamespaceLocal.lookup(host);
      if (!drs.isEmpty()) {
        return drs;
      }
    }
    if (!service.namespace().isEmpty()) {
      List<ResolvedDestinationRule> drs = exportedFrom(service.namespace(), host, proxyNamespace);
      if (!drs.isEmpty()) {
        return drs;
      }
    }
    return exportedFrom(rootNamespace, host, proxyNamespace);
  }

  private List<ResolvedDestinationRule> exportedFrom(String owner, String host, String client) {
    List<ResolvedDestinationRule> drs = exportedByNamespace.getOrDefault(owner, ByHost.EMPTY).lookup(host);
    return drs.stream()
        .filter(d -> d.exportTo().isEmpty() || d.exportTo().contains("*") || d.exportTo().contains(client))
        .toList();
  }

  private static Map<String, ByHost> freeze(Map<String, Pool> pools) {
    Map<String, ByHost> out = new HashMap<>();
    pools.forEach((ns, p) -> out.put(ns, p.freeze()));
    return Map.copyOf(out);
  }

  /**
   * Mutable while building: upstream's consolidated rules of one namespace pool. Each entry keeps
   * the rule's raw {@code exportTo} set ({@code .} not yet replaced; {@code {.}} for rules with a
   * workload selector), which upstream's enhanced merge compares.
   */
  private static final class Pool {
    private record Entry(ResolvedDestinationRule rule, Set<String> rawExportTo) {}

    final Map<String, List<Entry>> specific = new HashMap<>();
    final Map<String, List<Entry>> wildcard = new HashMap<>();

    /**
     * Upstream's {@code mergeDestinationRule} with {@code ENABLE_ENHANCED_DESTINATIONRULE_MERGE}
     * (default on): an incoming rule merges into each existing rule for the host that has the
     * same {@code exportTo} set (or a non-empty set the incoming one contains) and compatible
     * selectors (both without, or both with equal selectors); otherwise it stays a separate
     * entry. The flag's value after the last existing rule decides whether the incoming rule is
     * also kept on its own, exactly as upstream's loop does.
     */
    void merge(ResolvedDestinationRule incoming, Set<String> rawExportTo) {
      Map<String, List<Entry>> byHost = Hosts.isWildcard(incoming.host()) ? wildcard : specific;
      List<Entry> list = byHost.computeIfAbsent(incoming.host(), k -> new ArrayList<>());
      boolean appendSeparately = true;
      for (int i = 0; i < list.size(); i++) {
        Entry existing = list.get(i);
        if (rawExportTo.equals(existing.rawExportTo())) {
          appendSeparately = false;
        } else if (!existing.rawExportTo().isEmpty() && rawExportTo.containsAll(existing.rawExportTo())) {
          appendSeparately = true;
        } else {
          appendSeparately = true;
          continue;
        }
        boolean inSel = incoming.rule().hasWorkloadSelector();
        boolean exSel = existing.rule().rule().hasWorkloadSelector();
        boolean selectorsMatch = existing.rule().rule().getWorkloadSelector().getMatchLabelsMap()
            .equals(incoming.rule().getWorkloadSelector().getMatchLabelsMap());
        if (inSel && exSel && !selectorsMatch) {
          appendSeparately = true;
          continue;
        }
        if ((!inSel && !exSel) || (inSel && exSel)) {
          appendSeparately = false;
        }
        list.set(i, new Entry(mergeInto(existing.rule(), incoming), existing.rawExportTo()));
      }
      if (appendSeparately) {
        list.add(new Entry(incoming, rawExportTo));
      }
    }

    /** Subsets are concatenated (first name wins); the first top-level traffic policy stays. */
    private static ResolvedDestinationRule mergeInto(ResolvedDestinationRule existing, ResolvedDestinationRule incoming) {
      DestinationRule.Builder merged = existing.rule().toBuilder();
      Set<String> names = new HashSet<>();
      merged.getSubsetsList().forEach(s -> names.add(s.getName()));
      for (Subset s : incoming.rule().getSubsetsList()) {
        if (names.add(s.getName())) {
          merged.addSubsets(s);
        }
      }
      if (!merged.hasTrafficPolicy() && incoming.rule().hasTrafficPolicy()) {
        merged.setTrafficPolicy(incoming.rule().getTrafficPolicy());
      }
      List<dev.istiod.model.ConfigKey> from = new ArrayList<>(existing.from());
      from.addAll(incoming.from());
      return new ResolvedDestinationRule(existing.host(), merged.build(), existing.config(), existing.exportTo(), from);
    }

    ByHost freeze() {
      return new ByHost(freeze(specific), freeze(wildcard));
    }

    private static Map<String, List<ResolvedDestinationRule>> freeze(Map<String, List<Entry>> entries) {
      Map<String, List<ResolvedDestinationRule>> out = new HashMap<>();
      entries.forEach((k, v) -> out.put(k, v.stream().map(Entry::rule).toList()));
      return Map.copyOf(out);
    }
  }
}
