package dev.istiod.xds.core.route;

import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import dev.istiod.api.networking.v1alpha3.VirtualService;
import dev.istiod.model.Config;
import dev.istiod.model.Service;
import dev.istiod.model.ServicePort;
import dev.istiod.model.push.EgressListener;
import dev.istiod.model.push.Hosts;
import dev.istiod.model.push.VirtualServiceIndex;
import dev.istiod.xds.core.EnvoyNames;
import dev.istiod.xds.core.ProxyInputs;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The route configuration a sidecar's HTTP listeners on one port share ({@code "<port>"}), as
 * upstream's {@code BuildSidecarOutboundVirtualHosts}: virtual hosts first for the
 * VirtualServices the port's egress listener imports, then one per remaining HTTP service with a
 * default route, sorted by name, and the {@code allow_any}/{@code block_all} catch-all last.
 * A virtual host name or domain that an earlier virtual host already claimed is dropped.
 */
public final class OutboundRoutes {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(OutboundRoutes.class);
  /** Direct responses up to 1 MiB (Envoy's default is 4 KiB); the webhook enforces the same limit. */
  static final int MAX_DIRECT_RESPONSE_BODY = 1024 * 1024;
  private static final Set<String> MESH = Set.of(VirtualServiceIndex.MESH_GATEWAY);

  /** Routes shared by the services (or VirtualService hosts) of one virtual host group. */
  private record HostGroup(int port, List<Service> services, List<String> virtualServiceHosts, List<Route> routes) {}

  private final ProxyInputs in;

  public OutboundRoutes(ProxyInputs in) {
    this.in = in;
  }

  public RouteConfiguration build(String routeName) {
    Optional<Integer> port = EnvoyNames.parseOutboundRouteConfig(routeName);
    Optional<EgressListener> listener = port.flatMap(p -> in.scope().egressListenerForRoute(p));
    RouteConfiguration.Builder out = RouteConfiguration.newBuilder()
        .setName(routeName)
        .setValidateClusters(BoolValue.of(false));
    if (listener.isEmpty()) {
      return out.build(); // unknown name: an empty configuration, as upstream
    }
    List<VirtualHost> vhosts = new ArrayList<>(virtualHosts(listener.get(), port.get()));
    vhosts.sort(Comparator.comparing(VirtualHost::getName));
    vhosts.add(DefaultRoutes.catchAll(in));
    RouteValidation.Checked checked = RouteValidation.check(out.addAllVirtualHosts(vhosts)
        .setMaxDirectResponseBodySizeBytes(UInt32Value.of(MAX_DIRECT_RESPONSE_BODY))
        .setIgnorePortInHostMatching(true)
        .build());
    // Routes were checked as they were translated; this catches what only the whole configuration shows.
    checked.problems().forEach(p -> log.warn("{}: route configuration {}: {}; not sent", in.proxy().id(), routeName, p));
    return checked.config();
  }

  private List<VirtualHost> virtualHosts(EgressListener listener, int listenerPort) {
    Map<String, Service> byHost = new LinkedHashMap<>();
    for (Service s : listener.services()) {
      s.port(listenerPort).ifPresent(p -> byHost.putIfAbsent(s.hostname(), withOnlyPort(s, p)));
    }
    List<Config> vses = listener.virtualServices();
    if (listenerPort != 80) {
      // Upstream's quirk, kept for parity: only on port 80 do VirtualServices for hosts outside
      // the registry get virtual hosts.
      vses = vses.stream().filter(vs -> matchesAnyService(vs, byHost)).toList();
    }
    Map<String, Config> mostSpecific = mostSpecificVirtualService(vses, byHost.values());
    List<HostGroup> groups = new ArrayList<>();
    for (Config vs : vses) {
      try {
        groups.addAll(groupsForVirtualService(vs, byHost, listenerPort, mostSpecific));
      } catch (RuntimeException e) {
        // Its hosts fall back to default routes; every other VirtualService keeps flowing.
        log.error("{}: skipping VirtualService {} on port {}: {}", in.proxy().id(), vs.key(), listenerPort, e.toString(), e);
      }
    }
    Map<String, Service> remaining = new LinkedHashMap<>(byHost);
    groups.forEach(g -> g.services().forEach(s -> remaining.remove(s.hostname())));
    for (Service s : remaining.values()) {
      for (ServicePort p : s.ports()) {
        if (p.protocol().isHttp() || p.protocol().isUnsupported()) {
          groups.add(new HostGroup(p.port(), List.of(s), List.of(), List.of(DefaultRoutes.outbound(in, s.hostname(), p.port()))));
        }
      }
    }
    return build(groups, listenerPort);
  }

  private List<HostGroup> groupsForVirtualService(Config vs, Map<String, Service> byHost, int listenerPort,
      Map<String, Config> mostSpecific) {
    List<Route> routes = HttpRouteTranslator.translate(in, vs, listenerPort, MESH, h -> Optional.ofNullable(byHost.get(h)));
    if (routes.isEmpty()) {
      return List.of();
    }
    List<String> otherHosts = new ArrayList<>();
    List<Service> services = new ArrayList<>();
    for (String h : vs.spec(VirtualService.class).getHostsList()) {
      if (!Hosts.isWildcard(h)) {
        Service s = byHost.get(h);
        if (s != null) {
          services.add(s);
        } else {
          otherHosts.add(h);
        }
        continue;
      }
      boolean any = false;
      for (Service s : byHost.values()) {
        if (Hosts.matches(s.hostname(), h)) {
          any = true;
          if (mostSpecific.get(s.hostname()) == vs) {
            services.add(s);
          }
        }
      }
      if (!any) {
        otherHosts.add(h);
      }
    }
    Map<Integer, List<Service>> byPort = new TreeMap<>();
    for (Service s : services) {
      for (ServicePort p : s.ports()) {
        if (p.protocol().isHttp() || p.protocol().isUnsupported()) {
          byPort.computeIfAbsent(p.port(), k -> new ArrayList<>()).add(s);
        }
      }
    }
    if (byPort.isEmpty() && listenerPort == 80) {
      byPort.put(80, List.of());
    }
    List<HostGroup> out = new ArrayList<>();
    byPort.forEach((p, svcs) -> out.add(new HostGroup(p, svcs, otherHosts, routes)));
    return out;
  }

  private List<VirtualHost> build(List<HostGroup> groups, int listenerPort) {
    Set<String> names = new HashSet<>();
    Set<String> usedDomains = new HashSet<>();
    Set<String> knownFqdns = new HashSet<>();
    for (HostGroup g : groups) {
      for (Service s : g.services()) {
        knownFqdns.add(EnvoyNames.hostPort(s.hostname(), g.port()));
        knownFqdns.add(s.hostname());
      }
    }
    List<VirtualHost> out = new ArrayList<>();
    for (HostGroup g : groups) {
      if (g.port() != listenerPort || g.routes().isEmpty()) {
        continue;
      }
      for (String h : g.virtualServiceHosts()) {
        virtualHost(h.toLowerCase(java.util.Locale.ROOT), g, null, names, usedDomains, knownFqdns).ifPresent(out::add);
      }
      for (Service s : g.services()) {
        virtualHost(s.hostname(), g, s, names, usedDomains, knownFqdns).ifPresent(out::add);
      }
    }
    return out;
  }

  private Optional<VirtualHost> virtualHost(String host, HostGroup g, Service service, Set<String> names,
      Set<String> usedDomains, Set<String> knownFqdns) {
    String name = EnvoyNames.hostPort(host, g.port());
    if (!names.add(name)) {
      return Optional.empty();
    }
    List<String> domains;
    List<String> expanded = List.of();
    if (service == null) {
      domains = List.of(VirtualHostDomains.ipv6Compliant(host));
    } else {
      VirtualHostDomains.Result r = VirtualHostDomains.of(service, in.proxy().dnsDomain());
      domains = r.domains();
      expanded = r.expanded();
    }
    List<String> kept = new ArrayList<>();
    for (String d : domains) {
      String lower = d.toLowerCase(java.util.Locale.ROOT);
      if (usedDomains.contains(lower) || (expanded.contains(d) && knownFqdns.contains(d))) {
        continue;
      }
      kept.add(d);
      usedDomains.add(lower);
    }
    if (kept.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(VirtualHost.newBuilder()
        .setName(name)
        .addAllDomains(kept)
        .addAllRoutes(g.routes())
        .setIncludeRequestAttemptCount(true)
        .build());
  }

  private static Service withOnlyPort(Service s, ServicePort p) {
    if (s.ports().size() == 1) {
      return s;
    }
    return new Service(s.hostname(), s.namespace(), s.addresses(), List.of(p), s.resolution(), s.meshExternal(),
        s.visibility(), s.labels(), s.subjectAltNames(), s.registry(), s.origin());
  }

  private static boolean matchesAnyService(Config vs, Map<String, Service> byHost) {
    for (String h : vs.spec(VirtualService.class).getHostsList()) {
      if (byHost.containsKey(h)) {
        return true;
      }
      for (String s : byHost.keySet()) {
        if ((Hosts.isWildcard(h) || Hosts.isWildcard(s)) && Hosts.matches(h, s)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * For each service, the VirtualService whose host matches it most specifically (earlier
   * VirtualServices win ties), so a service under two wildcard VirtualServices gets one.
   */
  private static Map<String, Config> mostSpecificVirtualService(List<Config> vses, Iterable<Service> services) {
    Map<String, Config> exact = new HashMap<>();
    Map<String, Config> wildcard = new HashMap<>();
    for (Config vs : vses) {
      for (String h : vs.spec(VirtualService.class).getHostsList()) {
        (Hosts.isWildcard(h) ? wildcard : exact).putIfAbsent(h, vs);
      }
    }
    Map<String, Config> result = new HashMap<>();
    for (Service s : services) {
      Hosts.mostSpecific(s.hostname(), exact, wildcard).ifPresent(vs -> result.put(s.hostname(), vs));
    }
    return result;
  }
}
