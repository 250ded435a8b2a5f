package dev.istiod.model.push;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.networking.v1alpha3.Destination;
import dev.istiod.api.networking.v1alpha3.HTTPMatchRequest;
import dev.istiod.api.networking.v1alpha3.HTTPMirrorPolicy;
import dev.istiod.api.networking.v1alpha3.HTTPRoute;
import dev.istiod.api.networking.v1alpha3.HTTPRouteDestination;
import dev.istiod.api.networking.v1alpha3.L4MatchAttributes;
import dev.istiod.api.networking.v1alpha3.RouteDestination;
import dev.istiod.api.networking.v1alpha3.TCPRoute;
import dev.istiod.api.networking.v1alpha3.TLSMatchAttributes;
import dev.istiod.api.networking.v1alpha3.TLSRoute;
import dev.istiod.api.networking.v1alpha3.VirtualService;
import dev.istiod.model.Config;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * VirtualServices with short names resolved, indexed by the gateway they bind to ({@code mesh}
 * for sidecars, {@code namespace/name} for gateways) and by visibility, as upstream's
 * {@code virtualServiceIndex}. Selection for a namespace returns the namespace-private ones, then
 * those exported to it, then the public ones, each oldest first; that order decides which
 * VirtualService wins when two claim one host.
 *
 * <p>Delegate VirtualServices (no hosts) are not indexed themselves: {@link #build} merges them
 * into the root VirtualServices that delegate to them ({@link VirtualServiceDelegates}). Several
 * VirtualServices for one host stay separate here; the order above is what the route builders
 * use to resolve them (a sidecar keeps the first for a host, as upstream; a gateway concatenates
 * their routes).
 */
public final class VirtualServiceIndex {
  /** The reserved gateway name meaning "all sidecars". */
  public static final String MESH_GATEWAY = "mesh";

  static final Comparator<Config> ORDER = Comparator
      .comparing((Config c) -> c.meta().creationTimestamp())
      .thenComparing(Config::name)
      .thenComparing(Config::namespace);

  private final Map<String, List<Config>> publicByGateway;
  private final Map<String, List<Config>> privateByNamespaceAndGateway;
  private final Map<String, List<Config>> exportedByNamespaceAndGateway;
  private final List<Config> all;

  private VirtualServiceIndex(Map<String, List<Config>> publicByGateway,
      Map<String, List<Config>> privateByNamespaceAndGateway,
      Map<String, List<Config>> exportedByNamespaceAndGateway, List<Config> all) {
    this.publicByGateway = publicByGateway;
    this.privateByNamespaceAndGateway = privateByNamespaceAndGateway;
    this.exportedByNamespaceAndGateway = exportedByNamespaceAndGateway;
    this.all = all;
  }

  public static VirtualServiceIndex build(List<Config> configs, MeshConfig mesh, String domainSuffix) {
    Map<String, List<Config>> pub = new HashMap<>();
    Map<String, List<Config>> priv = new HashMap<>();
    Map<String, List<Config>> exported = new HashMap<>();
    List<Config> resolved = configs.stream().sorted(ORDER).map(raw -> resolve(raw, domainSuffix)).toList();
    List<Config> all = VirtualServiceDelegates.merge(resolved, mesh.getDefaultVirtualServiceExportToList());
    for (Config c : all) {
      VirtualService vs = c.spec(VirtualService.class);
      List<String> gateways = vs.getGatewaysCount() == 0 ? List.of(MESH_GATEWAY) : vs.getGatewaysList();
      Set<String> exportTo = new LinkedHashSet<>(
          vs.getExportToCount() > 0 ? vs.getExportToList() : mesh.getDefaultVirtualServiceExportToList());
      if (exportTo.isEmpty() || exportTo.contains("*")) {
        gateways.forEach(gw -> pub.computeIfAbsent(gw, k -> new ArrayList<>()).add(c));
      } else if (!exportTo.contains("~")) {
        for (String e : exportTo) {
          String ns = e.equals(".") ? c.namespace() : e;
          Map<String, List<Config>> target = ns.equals(c.namespace()) ? priv : exported;
          gateways.forEach(gw -> target.computeIfAbsent(key(ns, gw), k -> new ArrayList<>()).add(c));
        }
      }
    }
    return new VirtualServiceIndex(freeze(pub), freeze(priv), freeze(exported), List.copyOf(all));
  }

  /** Every VirtualService (resolved, delegates merged into their roots), oldest first. */
  public List<Config> all() {
    return all;
  }

  /**
   * The VirtualServices bound to {@code gateway} that a proxy in {@code namespace} may use:
   * private to the namespace, then exported to it, then public.
   */
  public List<Config> forGateway(String namespace, String gateway) {
    List<Config> out = new ArrayList<>();
    Set<Config> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (List<Config> l : List.of(
        privateByNamespaceAndGateway.getOrDefault(key(namespace, gateway), List.of()),
        exportedByNamespaceAndGateway.getOrDefault(key(namespace, gateway), List.of()),
        publicByGateway.getOrDefault(gateway, List.of()))) {
      for (Config c : l) {
        if (seen.add(c)) {
          out.add(c);
        }
      }
    }
    return List.copyOf(out);
  }

  private static String key(String namespace, String gateway) {
    return namespace + "\u0000" + gateway;
  }

  private static Map<String, List<Config>> freeze(Map<String, List<Config>> m) {
    Map<String, List<Config>> out = new HashMap<>();
    m.forEach((k, v) -> out.put(k, List.copyOf(v)));
    return Map.copyOf(out);
  }

  /** Upstream's {@code ResolveVirtualServiceShortnames}: every host and gateway fully qualified. */
  static Config resolve(Config c, String domainSuffix) {
    String ns = c.namespace();
    VirtualService.Builder vs = c.spec(VirtualService.class).toBuilder();
    for (int i = 0; i < vs.getHostsCount(); i++) {
      vs.setHosts(i, Hosts.resolveShortName(vs.getHosts(i), ns, domainSuffix));
    }
    for (int i = 0; i < vs.getGatewaysCount(); i++) {
      vs.setGateways(i, Hosts.resolveGatewayName(vs.getGateways(i), ns));
    }
    for (HTTPRoute.Builder http : vs.getHttpBuilderList()) {
      for (HTTPMatchRequest.Builder m : http.getMatchBuilderList()) {
        for (int i = 0; i < m.getGatewaysCount(); i++) {
          m.setGateways(i, Hosts.resolveGatewayName(m.getGateways(i), ns));
        }
      }
      for (HTTPRouteDestination.Builder d : http.getRouteBuilderList()) {
        if (d.hasDestination()) {
          resolve(d.getDestinationBuilder(), ns, domainSuffix);
        }
      }
      if (http.hasMirror()) {
        resolve(http.getMirrorBuilder(), ns, domainSuffix);
      }
      for (HTTPMirrorPolicy.Builder m : http.getMirrorsBuilderList()) {
        if (m.hasDestination()) {
          resolve(m.getDestinationBuilder(), ns, domainSuffix);
        }
      }
    }
    for (TCPRoute.Builder tcp : vs.getTcpBuilderList()) {
      for (L4MatchAttributes.Builder m : tcp.getMatchBuilderList()) {
        for (int i = 0; i < m.getGatewaysCount(); i++) {
          m.setGateways(i, Hosts.resolveGatewayName(m.getGateways(i), ns));
        }
      }
      tcp.getRouteBuilderList().stream().filter(RouteDestination.Builder::hasDestination)
          .forEach(d -> resolve(d.getDestinationBuilder(), ns, domainSuffix));
    }
    for (TLSRoute.Builder tls : vs.getTlsBuilderList()) {
      for (TLSMatchAttributes.Builder m : tls.getMatchBuilderList()) {
        for (int i = 0; i < m.getGatewaysCount(); i++) {
          m.setGateways(i, Hosts.resolveGatewayName(m.getGateways(i), ns));
        }
      }
      tls.getRouteBuilderList().stream().filter(RouteDestination.Builder::hasDestination)
          .forEach(d -> resolve(d.getDestinationBuilder(), ns, domainSuffix));
    }
    return new Config(c.kind(), c.meta(), vs.build());
  }

  private static void resolve(Destination.Builder d, String ns, String domainSuffix) {
    d.setHost(Hosts.resolveShortName(d.getHost(), ns, domainSuffix));
  }
}
