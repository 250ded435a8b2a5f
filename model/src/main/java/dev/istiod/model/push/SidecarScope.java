package dev.istiod.model.push;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.networking.v1alpha3.Destination;
import dev.istiod.api.networking.v1alpha3.HTTPMatchRequest;
import dev.istiod.api.networking.v1alpha3.HTTPRoute;
import dev.istiod.api.networking.v1alpha3.IstioEgressListener;
import dev.istiod.api.networking.v1alpha3.IstioIngressListener;
import dev.istiod.api.networking.v1alpha3.OutboundTrafficPolicy;
import dev.istiod.api.networking.v1alpha3.RouteDestination;
import dev.istiod.api.networking.v1alpha3.Sidecar;
import dev.istiod.api.networking.v1alpha3.VirtualService;
import dev.istiod.model.Config;
import dev.istiod.model.Proxy;
import dev.istiod.model.Service;
import dev.istiod.model.ServicePort;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What one sidecar sees of the mesh: the Sidecar resource that applies to it (or the implicit
 * default), the services and VirtualServices each egress listener imports, the DestinationRules
 * of those services, and the outbound traffic policy. Proxies in one namespace under one Sidecar
 * share one scope; the PushContext builds each scope once and caches it.
 *
 * <p>Immutable; safe to share between threads.
 */
public final class SidecarScope {
  /** Name of the implicit scope when no Sidecar resource applies, as upstream. */
  public static final String DEFAULT_NAME = "default";

  private static final IstioEgressListener CATCH_ALL =
      IstioEgressListener.newBuilder().addHosts("*/*").build();

  private final String name;
  private final String namespace;
  private final Config sidecar;
  private final List<EgressListener> egressListeners;
  private final List<Service> services;
  private final Map<String, Service> servicesByHostname;
  private final Map<String, List<ResolvedDestinationRule>> destinationRules;
  private final OutboundTrafficPolicy outboundTrafficPolicy;
  private final boolean readsWorkloadLabels;

  private SidecarScope(String name, String namespace, Config sidecar, List<EgressListener> egressListeners,
      List<Service> services, Map<String, List<ResolvedDestinationRule>> destinationRules,
      OutboundTrafficPolicy outboundTrafficPolicy) {
    this.name = name;
    this.namespace = namespace;
    this.sidecar = sidecar;
    this.egressListeners = List.copyOf(egressListeners);
    this.services = List.copyOf(services);
    Map<String, Service> byHost = new LinkedHashMap<>();
    services.forEach(s -> byHost.putIfAbsent(s.hostname(), s));
    this.servicesByHostname = java.util.Collections.unmodifiableMap(byHost);
    this.destinationRules = Map.copyOf(destinationRules);
    this.outboundTrafficPolicy = outboundTrafficPolicy;
    this.readsWorkloadLabels = this.destinationRules.values().stream().flatMap(List::stream)
        .anyMatch(dr -> dr.workloadSelector().isPresent())
        || this.egressListeners.stream().flatMap(l -> l.virtualServices().stream())
            .map(vs -> vs.spec(VirtualService.class)).anyMatch(SidecarScope::matchesSourceLabels);
  }

  /**
   * Builds the scope for proxies in {@code configNamespace} under {@code sidecarConfig} (null for
   * the implicit default), as upstream's {@code convertToSidecarScope}.
   */
  public static SidecarScope build(Config sidecarConfig, String configNamespace, ServiceIndex serviceIndex,
      VirtualServiceIndex vsIndex, DestinationRuleIndex drIndex, MeshConfig mesh) {
    Sidecar spec = sidecarConfig == null ? Sidecar.getDefaultInstance() : sidecarConfig.spec(Sidecar.class);
    List<IstioEgressListener> egress = spec.getEgressCount() == 0 ? List.of(CATCH_ALL) : spec.getEgressList();
    List<EgressListener> listeners = new ArrayList<>();
    for (IstioEgressListener l : egress) {
      listeners.add(egressListener(l, configNamespace, serviceIndex, vsIndex));
    }
    List<Service> services = collectServices(listeners, configNamespace, serviceIndex);
    Map<String, List<ResolvedDestinationRule>> drs = new HashMap<>();
    for (Service s : services) {
      List<ResolvedDestinationRule> found = drIndex.lookup(configNamespace, s);
      if (!found.isEmpty()) {
        drs.putIfAbsent(s.hostname(), found);
      }
    }
    OutboundTrafficPolicy policy = spec.hasOutboundTrafficPolicy()
        ? spec.getOutboundTrafficPolicy()
        : OutboundTrafficPolicy.newBuilder().setMode(meshMode(mesh)).build();
    String name = sidecarConfig == null ? DEFAULT_NAME : sidecarConfig.name();
    return new SidecarScope(name, configNamespace, sidecarConfig, listeners, services, drs, policy);
  }

  /** Mesh-wide mode; ALLOW_ANY_DYNAMIC_DNS is served as ALLOW_ANY until dynamic DNS lands. */
  private static OutboundTrafficPolicy.Mode meshMode(MeshConfig mesh) {
    if (!mesh.hasOutboundTrafficPolicy()) {
      return OutboundTrafficPolicy.Mode.ALLOW_ANY;
    }
    return switch (mesh.getOutboundTrafficPolicy().getMode()) {
      case REGISTRY_ONLY -> OutboundTrafficPolicy.Mode.REGISTRY_ONLY;
      default -> OutboundTrafficPolicy.Mode.ALLOW_ANY;
    };
  }

  private static EgressListener egressListener(IstioEgressListener l, String configNamespace,
      ServiceIndex serviceIndex, VirtualServiceIndex vsIndex) {
    HostImports imports = HostImports.parse(l.getHostsList(), configNamespace);
    List<Config> vses = selectVirtualServices(vsIndex.forGateway(configNamespace, VirtualServiceIndex.MESH_GATEWAY), imports);
    EgressListener draft = new EgressListener(l, List.of(), vses);
    List<Service> services = selectServices(serviceIndex.visibleTo(configNamespace), configNamespace, imports, draft);
    return new EgressListener(l, services, vses);
  }

  private static List<Config> selectVirtualServices(List<Config> candidates, HostImports imports) {
    List<Config> out = new ArrayList<>();
    HostImports.ForNamespace any = imports.anyNamespace();
    for (Config c : candidates) {
      HostImports.ForNamespace own = imports.forNamespace(c.namespace());
      if ((own != null && importsVirtualService(c, own, imports)) || (any != null && importsVirtualService(c, any, imports))) {
        out.add(c);
      }
    }
    return out;
  }

  private static boolean importsVirtualService(Config c, HostImports.ForNamespace hosts, HostImports imports) {
    for (String h : c.spec(VirtualService.class).getHostsList()) {
      if (hosts.matchesVirtualServiceHost(h) && !imports.excluded(h, c.namespace())) {
        return true;
      }
    }
    return false;
  }

  /** Upstream's {@code selectServices}: one namespace per hostname, the proxy's own first. */
  private static List<Service> selectServices(List<Service> candidates, String configNamespace, HostImports imports,
      EgressListener listener) {
    List<Service> imported = new ArrayList<>();
    HostImports.ForNamespace any = imports.anyNamespace();
    for (Service s : candidates) {
      if (imports.excluded(s.hostname(), s.namespace())) {
        continue;
      }
      HostImports.ForNamespace own = imports.forNamespace(s.namespace());
      Service matched = null;
      if (own != null && own.matchesService(s.hostname())) {
        matched = s;
      } else if (any != null && any.matchesService(s.hostname())) {
        matched = s;
      }
      if (matched != null && listener.needsPortMatch()) {
        matched = trimToPorts(matched, Set.of(listener.port()));
      }
      if (matched != null) {
        imported.add(matched);
      }
    }
    // One namespace per hostname (upstream's unified scoping): the proxy's own; else a Kubernetes
    // service over a ServiceEntry; else the first imported.
    Map<String, Service> chosen = new HashMap<>();
    for (Service s : imported) {
      Service prev = chosen.get(s.hostname());
      boolean kube = s.registry() == Service.Registry.KUBERNETES;
      if (prev == null || s.namespace().equals(configNamespace)
          || (kube && prev.registry() != Service.Registry.KUBERNETES && !prev.namespace().equals(configNamespace))) {
        chosen.put(s.hostname(), s);
      }
    }
    return imported.stream().filter(s -> chosen.get(s.hostname()).namespace().equals(s.namespace())).toList();
  }

  /** The service with only the given ports, or null if it has none of them; 0 means every port. */
  private static Service trimToPorts(Service s, Set<Integer> ports) {
    if (ports.isEmpty() || ports.contains(0)) {
      return s;
    }
    List<ServicePort> kept = s.ports().stream().filter(p -> ports.contains(p.port())).toList();
    if (kept.isEmpty()) {
      return null;
    }
    if (kept.size() == s.ports().size()) {
      return s;
    }
    return new Service(s.hostname(), s.namespace(), s.addresses(), kept, s.resolution(), s.meshExternal(),
        s.visibility(), s.labels(), s.subjectAltNames(), s.registry(), s.origin());
  }

  /**
   * Every service the scope's proxies get clusters for: the listeners' imports, then hosts that
   * imported VirtualServices route to (so a route never points at a missing cluster).
   */
  private static List<Service> collectServices(List<EgressListener> listeners, String configNamespace,
      ServiceIndex serviceIndex) {
    Map<String, Service> added = new LinkedHashMap<>();
    for (EgressListener l : listeners) {
      l.services().forEach(s -> append(added, s));
    }
    for (EgressListener l : listeners) {
      for (Config vs : l.virtualServices()) {
        destinationPorts(vs.spec(VirtualService.class), configNamespace).forEach((host, ports) -> {
          if (added.containsKey(host)) {
            return;
          }
          serviceIndex.forHostname(host, configNamespace).ifPresent(s -> {
            Service trimmed = l.needsPortMatch() ? trimToPorts(s, Set.of(l.port())) : trimToPorts(s, ports);
            if (trimmed != null) {
              append(added, trimmed);
            }
          });
        });
      }
    }
    return List.copyOf(added.values());
  }

  /**
   * Upstream's {@code appendSidecarServices}: the first service of a hostname wins, except that a
   * Kubernetes service replaces one from another registry (no squatting on a hostname before the
   * Service exists); a later service of the same namespace, registry, resolution, labels and
   * visibility adds its ports.
   */
  private static void append(Map<String, Service> added, Service s) {
    Service existing = added.get(s.hostname());
    if (existing == null) {
      added.put(s.hostname(), s);
      return;
    }
    if (existing.equals(s)) {
      return;
    }
    boolean existingKube = existing.registry() == Service.Registry.KUBERNETES;
    boolean incomingKube = s.registry() == Service.Registry.KUBERNETES;
    if (existingKube && !incomingKube) {
      return;
    }
    if (!existingKube && incomingKube) {
      added.put(s.hostname(), s);
      return;
    }
    if (!canMerge(existing, s)) {
      return;
    }
    Map<Integer, ServicePort> ports = new java.util.LinkedHashMap<>();
    existing.ports().forEach(p -> ports.put(p.port(), p));
    s.ports().forEach(p -> ports.putIfAbsent(p.port(), p));
    if (ports.size() != existing.ports().size()) {
      added.put(s.hostname(), new Service(existing.hostname(), existing.namespace(), existing.addresses(),
          List.copyOf(ports.values()), existing.resolution(), existing.meshExternal(), existing.visibility(),
          existing.labels(), existing.subjectAltNames(), existing.registry(), existing.origin()));
    }
  }

  /** Upstream's {@code canMergeServices}. */
  private static boolean canMerge(Service a, Service b) {
    return a.namespace().equals(b.namespace()) && a.resolution() == b.resolution() && a.registry() == b.registry()
        && a.labels().equals(b.labels()) && a.visibility().equals(b.visibility());
  }

  /**
   * Destination hosts of a VirtualService and their ports (0 = unspecified), skipping HTTP routes
   * whose matches all name another source namespace.
   */
  private static Map<String, Set<Integer>> destinationPorts(VirtualService vs, String configNamespace) {
    Map<String, Set<Integer>> out = new LinkedHashMap<>();
    for (HTTPRoute r : vs.getHttpList()) {
      if (r.getMatchCount() > 0 && r.getMatchList().stream()
          .map(HTTPMatchRequest::getSourceNamespace)
          .noneMatch(ns -> ns.isEmpty() || ns.equals(configNamespace))) {
        continue;
      }
      r.getRouteList().forEach(d -> addDestination(out, d.getDestination()));
      if (r.hasMirror()) {
        addDestination(out, r.getMirror());
      }
      r.getMirrorsList().forEach(m -> addDestination(out, m.getDestination()));
    }
    vs.getTcpList().forEach(t -> t.getRouteList().stream().map(RouteDestination::getDestination)
        .forEach(d -> addDestination(out, d)));
    vs.getTlsList().forEach(t -> t.getRouteList().stream().map(RouteDestination::getDestination)
        .forEach(d -> addDestination(out, d)));
    return out;
  }

  private static void addDestination(Map<String, Set<Integer>> out, Destination d) {
    if (d.getHost().isEmpty()) {
      return;
    }
    out.computeIfAbsent(d.getHost(), k -> new TreeSet<>()).add(d.getPort().getNumber());
  }

  /**
   * True when what this scope yields can depend on a proxy's own labels: a DestinationRule with a workload
   * selector, or a VirtualService match (HTTP, TCP or TLS) on {@code sourceLabels}. Otherwise every proxy of the scope gets the same
   * route configurations whatever its labels, which the xDS cache relies on to share them.
   */
  public boolean readsWorkloadLabels() {
    return readsWorkloadLabels;
  }

  private static boolean matchesSourceLabels(VirtualService vs) {
    return vs.getHttpList().stream()
        .anyMatch(r -> r.hasDelegate() || r.getMatchList().stream().anyMatch(m -> m.getSourceLabelsCount() > 0))
        || vs.getTcpList().stream().anyMatch(r -> r.getMatchList().stream().anyMatch(m -> m.getSourceLabelsCount() > 0))
        || vs.getTlsList().stream().anyMatch(r -> r.getMatchList().stream().anyMatch(m -> m.getSourceLabelsCount() > 0));
  }

  /** {@code default}, or the name of the Sidecar resource. */
  public String name() {
    return name;
  }

  /** The namespace of the proxies this scope serves (not necessarily the Sidecar's). */
  public String namespace() {
    return namespace;
  }

  public Optional<Config> sidecar() {
    return Optional.ofNullable(sidecar);
  }

  public List<EgressListener> egressListeners() {
    return egressListeners;
  }

  public List<IstioIngressListener> ingressListeners() {
    return sidecar == null ? List.of() : sidecar.spec(Sidecar.class).getIngressList();
  }

  /** Every service this scope gets clusters for, deduplicated by hostname. */
  public List<Service> services() {
    return services;
  }

  public Optional<Service> service(String hostname) {
    return Optional.ofNullable(servicesByHostname.get(hostname));
  }

  public OutboundTrafficPolicy outboundTrafficPolicy() {
    return outboundTrafficPolicy;
  }

  /** True when unknown destinations pass through (ALLOW_ANY), false when they are blocked. */
  public boolean allowAnyOutbound() {
    return outboundTrafficPolicy.getMode() == OutboundTrafficPolicy.Mode.ALLOW_ANY;
  }

  /**
   * The DestinationRule for a host as seen by {@code proxy}: a rule of the scope's namespace whose
   * workload selector matches the proxy's labels, else the rule without selector.
   */
  /** Every DestinationRule the scope imports, for any host (proxy-independent). */
  public java.util.stream.Stream<ResolvedDestinationRule> destinationRules() {
    return destinationRules.values().stream().flatMap(List::stream);
  }

  public Optional<ResolvedDestinationRule> destinationRule(Proxy proxy, String hostname) {
    ResolvedDestinationRule catchAll = null;
    for (ResolvedDestinationRule dr : destinationRules.getOrDefault(hostname, List.of())) {
      Optional<Map<String, String>> selector = dr.workloadSelector();
      if (selector.isEmpty()) {
        catchAll = dr;
      } else if (dr.namespace().equals(namespace) && proxy.labels().entrySet().containsAll(selector.get().entrySet())) {
        return Optional.of(dr);
      }
    }
    return Optional.ofNullable(catchAll);
  }

  /**
   * The egress listener that serves route configuration for a listener port, as upstream's
   * {@code GetEgressListenerForRDS}: the listener with that port, else the catch-all.
   */
  public Optional<EgressListener> egressListenerForRoute(int port) {
    for (EgressListener l : egressListeners) {
      if (l.isCatchAll() || l.port() == port) {
        return Optional.of(l);
      }
    }
    return Optional.empty();
  }
}
