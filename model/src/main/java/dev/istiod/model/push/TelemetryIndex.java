package dev.istiod.model.push;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.telemetry.v1alpha1.AccessLogging;
import dev.istiod.api.telemetry.v1alpha1.ProviderRef;
import dev.istiod.api.telemetry.v1alpha1.Telemetry;
import dev.istiod.api.telemetry.v1alpha1.WorkloadMode;
import dev.istiod.model.Config;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Telemetry resources of the mesh, as upstream's {@code Telemetries}: which access-log providers
 * a workload uses for one side of its traffic.
 *
 * <p>Precedence, as upstream's {@code applicableTelemetries} and {@code mergeLogs}: the oldest
 * Telemetry without selector in the root namespace (mesh-wide), then the oldest without selector
 * in the workload's namespace, then every Telemetry of that namespace whose selector the
 * workload's labels include (oldest first); a later level overrides an earlier one. A level that
 * names providers replaces the provider set (else the mesh's {@code defaultProviders.accessLogging}
 * or the level above is inherited); {@code disabled: true} turns the providers of its entry off;
 * an entry whose {@code match.mode} is not the side asked for is skipped. Telemetry attached by
 * {@code targetRef(s)} applies only to waypoints and Kubernetes Gateways upstream, neither of which
 * this istiod serves, so it is ignored here.
 *
 * <p>Immutable but for a memo of computed answers (a pure function of the immutable inputs), so
 * generators share it across threads.
 */
public final class TelemetryIndex {
  /**
   * One access-log provider's state for a workload side.
   *
   * @param provider the {@code meshConfig.extensionProviders} name (matched case-insensitively)
   * @param disabled true when a Telemetry turned the provider off here
   * @param filterExpression the CEL filter of the entry that named it; empty for none
   */
  public record AccessLogProvider(String provider, boolean disabled, String filterExpression) {
    public AccessLogProvider {
      Objects.requireNonNull(provider, "provider");
      Objects.requireNonNull(filterExpression, "filterExpression");
    }
  }

  /** Which side of a workload's traffic: outbound (and gateways) is CLIENT, inbound SERVER. */
  public enum Side { CLIENT, SERVER }

  private record Key(String namespace, Map<String, String> labels, Side side) {}

  private final String rootNamespace;
  private final List<String> defaultProviders;
  private final Map<String, List<Config>> byNamespace;
  private final ConcurrentHashMap<Key, List<AccessLogProvider>> memo = new ConcurrentHashMap<>();

  private TelemetryIndex(String rootNamespace, List<String> defaultProviders, Map<String, List<Config>> byNamespace) {
    this.rootNamespace = rootNamespace;
    this.defaultProviders = defaultProviders;
    this.byNamespace = byNamespace;
  }

  public static TelemetryIndex build(List<Config> telemetries, MeshConfig mesh) {
    Map<String, List<Config>> byNs = new HashMap<>();
    telemetries.stream().sorted(PeerAuthenticationIndex.OLDEST_FIRST)
        .forEach(c -> byNs.computeIfAbsent(c.namespace(), k -> new ArrayList<>()).add(c));
    Map<String, List<Config>> frozen = new HashMap<>();
    byNs.forEach((ns, l) -> frozen.put(ns, List.copyOf(l)));
    return new TelemetryIndex(mesh.getRootNamespace(),
        List.copyOf(mesh.getDefaultProviders().getAccessLoggingList()), Map.copyOf(frozen));
  }

  public static TelemetryIndex empty(MeshConfig mesh) {
    return build(List.of(), mesh);
  }

  /**
   * The access-log providers of a workload's side, sorted by name, disabled ones included. Empty
   * when no Telemetry (nor the mesh's default providers) selects a provider for this side; upstream
   * then falls back to {@code meshConfig.accessLogFile}, and so do the generators.
   */
  public List<AccessLogProvider> accessLogging(String namespace, Map<String, String> labels, Side side) {
    return memo.computeIfAbsent(new Key(namespace, Map.copyOf(labels), side), this::compute);
  }

  private List<AccessLogProvider> compute(Key key) {
    List<List<AccessLogging>> levels = applicable(key.namespace(), key.labels());
    return List.copyOf(merge(levels, key.side()).values());
  }

  /** The accessLogging lists of the applicable Telemetries, least specific first; empty ones left out. */
  private List<List<AccessLogging>> applicable(String namespace, Map<String, String> labels) {
    List<List<AccessLogging>> levels = new ArrayList<>();
    namespaceWide(rootNamespace).ifPresent(t -> addLevel(levels, t));
    if (!namespace.equals(rootNamespace)) {
      namespaceWide(namespace).ifPresent(t -> addLevel(levels, t));
    }
    for (Config c : byNamespace.getOrDefault(namespace, List.of())) {
      Telemetry t = c.spec(Telemetry.class);
      Map<String, String> selector = t.getSelector().getMatchLabelsMap();
      if (!selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet())) {
        addLevel(levels, t);
      }
    }
    return levels;
  }

  private static void addLevel(List<List<AccessLogging>> levels, Telemetry t) {
    if (t.getAccessLoggingCount() > 0) {
      levels.add(t.getAccessLoggingList());
    }
  }

  /** Upstream's {@code namespaceWideTelemetryConfig}: the oldest without selector or target references. */
  private Optional<Telemetry> namespaceWide(String namespace) {
    for (Config c : byNamespace.getOrDefault(namespace, List.of())) {
      Telemetry t = c.spec(Telemetry.class);
      if (t.getSelector().getMatchLabelsCount() == 0 && !t.hasTargetRef() && t.getTargetRefsCount() == 0) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  /** Upstream's {@code mergeLogs}, keyed by provider name (sorted, for a stable output). */
  private Map<String, AccessLogProvider> merge(List<List<AccessLogging>> levels, Side side) {
    Map<String, AccessLogProvider> out = new TreeMap<>();
    if (levels.isEmpty()) {
      defaultProviders.forEach(p -> out.put(p, new AccessLogProvider(p, false, "")));
      return out;
    }
    // The providers in scope: those named by the most specific level that names any.
    Set<String> inScope = new LinkedHashSet<>(defaultProviders);
    Map<String, String> filters = new HashMap<>();
    for (List<AccessLogging> level : levels) {
      Set<String> named = new LinkedHashSet<>();
      for (AccessLogging l : level) {
        if (!matches(l, side)) {
          continue;
        }
        for (ProviderRef p : l.getProvidersList()) {
          named.add(p.getName());
          filters.put(p.getName(), l.getFilter().getExpression());
        }
      }
      if (!named.isEmpty()) {
        inScope = named;
      }
    }
    List<String> parent = defaultProviders;
    for (List<AccessLogging> level : levels) {
      for (AccessLogging l : level) {
        List<String> names = l.getProvidersList().stream().map(ProviderRef::getName).toList();
        if (names.isEmpty()) {
          names = parent;
        }
        parent = names;
        for (String provider : names) {
          if (!inScope.contains(provider) || !matches(l, side)) {
            continue;
          }
          boolean disabled = l.getDisabled().getValue();
          out.put(provider, new AccessLogProvider(provider, disabled,
              disabled ? "" : filters.getOrDefault(provider, "")));
        }
      }
    }
    return out;
  }

  private static boolean matches(AccessLogging l, Side side) {
    if (!l.hasMatch()) {
      return true;
    }
    WorkloadMode mode = l.getMatch().getMode();
    return mode == WorkloadMode.CLIENT_AND_SERVER
        || mode == (side == Side.CLIENT ? WorkloadMode.CLIENT : WorkloadMode.SERVER);
  }
}
