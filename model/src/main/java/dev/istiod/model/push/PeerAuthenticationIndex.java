package dev.istiod.model.push;

import dev.istiod.api.security.v1beta1.PeerAuthentication;
import dev.istiod.model.Config;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * PeerAuthentication policies of the mesh, as upstream's {@code AuthenticationPolicies} and
 * {@code ComposePeerAuthentication}: which mutual TLS mode a workload (and each of its ports)
 * accepts, and the namespace-wide mode clients use as a hint for automatic mTLS.
 *
 * <p>Precedence: a policy without selector in the root namespace is mesh-wide; one without
 * selector in another namespace covers that namespace; one with a selector covers the workloads
 * of its own namespace whose labels include it (selector policies in the root namespace are
 * ignored, as upstream). Of several policies at one level the oldest wins. UNSET inherits from the
 * level above; with nothing set anywhere the mode is PERMISSIVE. Port-level modes come only from
 * the workload policy, keyed by the workload (target) port.
 */
public final class PeerAuthenticationIndex {
  /** Upstream's {@code MutualTLSMode}; UNKNOWN means no policy said anything. */
  public enum MutualTlsMode {
    UNKNOWN, DISABLE, PERMISSIVE, STRICT;

    static MutualTlsMode of(PeerAuthentication.MutualTLS.Mode mode) {
      return switch (mode) {
        case DISABLE -> DISABLE;
        case PERMISSIVE -> PERMISSIVE;
        case STRICT -> STRICT;
        default -> UNKNOWN;
      };
    }
  }

  /**
   * The modes a workload accepts: {@code mode} on every port, except those in {@code perPort}.
   *
   * @param perPort workload port to mode; never UNKNOWN
   */
  public record WorkloadMtls(MutualTlsMode mode, Map<Integer, MutualTlsMode> perPort) {
    public static final WorkloadMtls PERMISSIVE = new WorkloadMtls(MutualTlsMode.PERMISSIVE, Map.of());

    public WorkloadMtls {
      perPort = Map.copyOf(new TreeMap<>(perPort));
    }

    /** The mode of a workload port (0: the passthrough chains' port-less mode). */
    public MutualTlsMode forPort(int port) {
      return perPort.getOrDefault(port, mode);
    }
  }

  /** Oldest first; name then namespace break ties, as upstream's {@code sortConfigByCreationTime}. */
  static final Comparator<Config> OLDEST_FIRST = Comparator
      .comparing((Config c) -> c.meta().creationTimestamp())
      .thenComparing(Config::name)
      .thenComparing(Config::namespace);

  private final String rootNamespace;
  private final Map<String, List<Config>> byNamespace;
  private final MutualTlsMode meshMode;
  private final Map<String, MutualTlsMode> namespaceModes;

  private PeerAuthenticationIndex(String rootNamespace, Map<String, List<Config>> byNamespace, MutualTlsMode meshMode,
      Map<String, MutualTlsMode> namespaceModes) {
    this.rootNamespace = rootNamespace;
    this.byNamespace = byNamespace;
    this.meshMode = meshMode;
    this.namespaceModes = namespaceModes;
  }

  public static PeerAuthenticationIndex build(List<Config> policies, String rootNamespace) {
    Map<String, List<Config>> byNs = new HashMap<>();
    policies.stream().sorted(OLDEST_FIRST)
        .forEach(c -> byNs.computeIfAbsent(c.namespace(), k -> new ArrayList<>()).add(c));
    Map<String, List<Config>> frozen = new HashMap<>();
    byNs.forEach((ns, l) -> frozen.put(ns, List.copyOf(l)));

    MutualTlsMode mesh = MutualTlsMode.UNKNOWN;
    Config meshPolicy = oldestWithoutSelector(frozen.getOrDefault(rootNamespace, List.of()));
    if (meshPolicy != null) {
      MutualTlsMode m = mode(meshPolicy.spec(PeerAuthentication.class));
      mesh = m == MutualTlsMode.UNKNOWN ? MutualTlsMode.PERMISSIVE : m; // UNSET at mesh level is PERMISSIVE
    }
    MutualTlsMode inherited = mesh == MutualTlsMode.UNKNOWN ? MutualTlsMode.PERMISSIVE : mesh;
    Map<String, MutualTlsMode> namespaces = new HashMap<>();
    for (Map.Entry<String, List<Config>> e : frozen.entrySet()) {
      if (e.getKey().equals(rootNamespace)) {
        continue;
      }
      Config nsPolicy = oldestWithoutSelector(e.getValue());
      if (nsPolicy != null) {
        MutualTlsMode m = mode(nsPolicy.spec(PeerAuthentication.class));
        namespaces.put(e.getKey(), m == MutualTlsMode.UNKNOWN ? inherited : m);
      }
    }
    return new PeerAuthenticationIndex(rootNamespace, Map.copyOf(frozen), mesh, Map.copyOf(namespaces));
  }

  public static PeerAuthenticationIndex empty(String rootNamespace) {
    return build(List.of(), rootNamespace);
  }

  public boolean isEmpty() {
    return byNamespace.isEmpty();
  }

  /**
   * The namespace-level mode (else the mesh-level one, else UNKNOWN), ignoring workload and port
   * policies: upstream's {@code GetNamespaceMutualTLSMode}, the client-side hint for auto mTLS.
   */
  public MutualTlsMode namespaceMode(String namespace) {
    return namespaceModes.getOrDefault(namespace, meshMode);
  }

  /** What a workload with these labels in this namespace accepts. */
  public WorkloadMtls forWorkload(String namespace, Map<String, String> labels) {
    if (byNamespace.isEmpty()) {
      return WorkloadMtls.PERMISSIVE;
    }
    Config mesh = oldestWithoutSelector(byNamespace.getOrDefault(rootNamespace, List.of()));
    Config ns = namespace.equals(rootNamespace) ? null
        : oldestWithoutSelector(byNamespace.getOrDefault(namespace, List.of()));
    Config workload = null;
    if (!namespace.equals(rootNamespace)) {
      for (Config c : byNamespace.getOrDefault(namespace, List.of())) {
        Map<String, String> selector = c.spec(PeerAuthentication.class).getSelector().getMatchLabelsMap();
        if (!selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet())) {
          workload = c;
          break; // oldest first
        }
      }
    }
    MutualTlsMode mode = MutualTlsMode.PERMISSIVE;
    for (Config c : new Config[] {mesh, ns, workload}) {
      if (c != null && mode(c.spec(PeerAuthentication.class)) != MutualTlsMode.UNKNOWN) {
        mode = mode(c.spec(PeerAuthentication.class));
      }
    }
    Map<Integer, MutualTlsMode> perPort = new HashMap<>();
    if (workload != null) {
      for (Map.Entry<Integer, PeerAuthentication.MutualTLS> e
          : workload.spec(PeerAuthentication.class).getPortLevelMtlsMap().entrySet()) {
        MutualTlsMode m = MutualTlsMode.of(e.getValue().getMode());
        perPort.put(e.getKey(), m == MutualTlsMode.UNKNOWN ? mode : m);
      }
    }
    return new WorkloadMtls(mode, perPort);
  }

  private static Config oldestWithoutSelector(List<Config> sortedOldestFirst) {
    for (Config c : sortedOldestFirst) {
      if (c.spec(PeerAuthentication.class).getSelector().getMatchLabelsCount() == 0) {
        return c;
      }
    }
    return null;
  }

  private static MutualTlsMode mode(PeerAuthentication pa) {
    return pa.hasMtls() ? MutualTlsMode.of(pa.getMtls().getMode()) : MutualTlsMode.UNKNOWN;
  }
}
