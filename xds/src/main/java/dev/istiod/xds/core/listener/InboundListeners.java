package dev.istiod.xds.core.listener;

import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import dev.istiod.api.networking.v1alpha3.CaptureMode;
import dev.istiod.api.networking.v1alpha3.IstioIngressListener;
import dev.istiod.model.Protocol;
import dev.istiod.model.ServiceTarget;
import dev.istiod.model.Kind;
import dev.istiod.xds.core.Addresses;
import dev.istiod.xds.core.ConfigMetadata;
import dev.istiod.xds.core.EnvoyNames;
import dev.istiod.xds.core.ListenerClass;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.filter.Filters;
import dev.istiod.xds.core.listener.OutboundListeners.ListenerProtocol;
import dev.istiod.xds.core.route.DefaultRoutes;
import dev.istiod.xds.core.security.InboundMtls;
import dev.istiod.xds.core.security.authz.AuthzFilters;
import dev.istiod.xds.core.security.IstioMtls;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilterChainMatchPredicate;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.type.v3.Int32Range;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A sidecar's inbound side, as upstream's {@code buildInboundListeners}: {@code virtualInbound}
 * (where iptables sends inbound connections) with one filter chain per workload port matched by
 * destination port, HTTP ports terminated by a connection manager with an inline route to
 * {@code inbound|<port>||}, other ports proxied as TCP, and passthrough chains for undeclared
 * ports. Sidecar ingress listeners with {@code captureMode: NONE} (or a proxy without capture)
 * become real listeners on {@code bind:port} instead.
 *
 * <p>Which chains a port gets (mTLS, plaintext, or both) follows the workload's PeerAuthentication
 * ({@link InboundMtls}); mTLS chains need the TLS inspector, enabled on the ports that have them.
 */
public final class InboundListeners {
  /**
   * One workload port to build chains for.
   *
   * @param servicePort the service's port number (names the vhost); may differ from the target port
   * @param hostname the service it belongs to, for the tracing operation; empty for passthrough
   */
  private record ChainConfig(Protocol protocol, int servicePort, int targetPort, String cluster, String bind, boolean bindToPort,
      boolean passthrough, String hostname, Metadata metadata) {

    String name(ListenerProtocol protocol) {
      if (passthrough) {
        return protocol == ListenerProtocol.HTTP ? EnvoyNames.VIRTUAL_INBOUND_CATCH_ALL_HTTP_CHAIN
            : EnvoyNames.VIRTUAL_INBOUND_LISTENER;
      }
      return EnvoyNames.listener(bind, targetPort);
    }

    String httpStatPrefix() {
      return passthrough ? EnvoyNames.delimitedStatPrefix(cluster) : EnvoyNames.inboundHttpStatPrefix(bind, targetPort);
    }
  }

  private final ProxyInputs in;
  private final ListenerConflicts conflicts;
  private final TcpProxies tcpProxies;
  private final InboundMtls mtls;

  public InboundListeners(ProxyInputs in) {
    this(in, new ListenerConflicts());
  }

  public InboundListeners(ProxyInputs in, ListenerConflicts conflicts) {
    this.in = in;
    this.conflicts = conflicts;
    this.tcpProxies = new TcpProxies(in);
    this.mtls = InboundMtls.of(in);
  }

  public List<Listener> build() {
    List<Listener> out = new ArrayList<>();
    List<FilterChain> virtualChains = new ArrayList<>();
    for (ChainConfig cc : chainConfigs()) {
      List<FilterChain> chains = chains(cc);
      if (cc.bindToPort()) {
        out.add(listener(cc.name(ListenerProtocol.TCP), cc.bind(), cc.targetPort(), true, chains));
      } else {
        virtualChains.addAll(chains);
      }
    }
    if (!in.interceptionNone()) {
      List<FilterChain> all = new ArrayList<>(passthroughChains());
      all.addAll(virtualChains);
      out.add(0, listener(EnvoyNames.VIRTUAL_INBOUND_LISTENER, in.wildcardAddress(),
          in.mesh().getProxyInboundListenPort(), false, all));
    }
    return out;
  }

  private List<ChainConfig> chainConfigs() {
    Map<Integer, ChainConfig> byPort = new TreeMap<>();
    if (in.scope().ingressListeners().isEmpty()) {
      if (in.interceptionNone()) {
        return List.of(); // ports would collide with the application's; declare them in a Sidecar
      }
      for (ServiceTarget t : in.serviceTargets()) {
        int target = t.targetPort() > 0 ? t.targetPort() : t.port().effectiveTargetPort();
        if (!PortBinding.canBind(in, false, in.wildcardAddress(), target, t.port().protocol(), true)) {
          continue;
        }
        put(byPort, new ChainConfig(t.port().protocol(), t.port().port(), target, EnvoyNames.inboundCluster(target),
            in.wildcardAddress(), false, false, t.service().hostname(), null));
      }
      return List.copyOf(byPort.values());
    }
    Metadata sidecar = sidecarMetadata();
    for (IstioIngressListener l : in.scope().ingressListeners()) {
      int number = l.getPort().getNumber();
      if (number < 1 || number > 65535) {
        continue; // validation rejects this; never let one bad listener stop the others
      }
      boolean bindToPort = l.getCaptureMode() == CaptureMode.DEFAULT ? in.interceptionNone()
          : l.getCaptureMode() == CaptureMode.NONE;
      Protocol protocol = Protocol.parse(l.getPort().getProtocol());
      if (!PortBinding.canBind(in, bindToPort, l.getBind(), number, protocol, false)) {
        continue;
      }
      String bind = l.getBind().isEmpty() ? defaultIngressBind() : l.getBind();
      // A synthetic hostname names the Sidecar for telemetry, as upstream.
      put(byPort, new ChainConfig(protocol, number, number, EnvoyNames.inboundCluster(number), bind, bindToPort, false,
          in.scope().name() + "." + in.scope().namespace(), sidecar));
    }
    return List.copyOf(byPort.values());
  }

  /** The first config of a port wins; a different service with another protocol is a conflict to report. */
  private void put(Map<Integer, ChainConfig> byPort, ChainConfig cc) {
    ChainConfig old = byPort.putIfAbsent(cc.targetPort(), cc);
    if (old != null && old.protocol() != cc.protocol() && !old.hostname().equals(cc.hostname())) {
      conflicts.record(ListenerConflicts.Kind.INBOUND, in.proxy(), Integer.toString(cc.targetPort()), old.protocol(),
          cc.hostname(), cc.protocol());
    }
  }

  /**
   * Where a Sidecar ingress listener without {@code bind} listens: the proxy's first global
   * unicast IP (as upstream's {@code getSidecarInboundBindIPs}), else the wildcard address.
   */
  private String defaultIngressBind() {
    for (String ip : in.proxy().ipAddresses()) {
      if (isGlobalUnicast(ip)) {
        return ip;
      }
    }
    return in.wildcardAddress();
  }

  /** Go's {@code IsGlobalUnicast}: not unspecified, loopback, link-local, multicast or broadcast. */
  static boolean isGlobalUnicast(String ip) {
    if (!dev.istiod.model.push.Hosts.isIpAddress(ip)) {
      return false;
    }
    try {
      java.net.InetAddress a = java.net.InetAddress.getByName(ip); // an IP literal: never looked up
      return !(a.isAnyLocalAddress() || a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isMulticastAddress()
          || ip.equals("255.255.255.255"));
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  /** {@code istio.config} naming the Sidecar (in the proxy's config namespace, as upstream). */
  private Metadata sidecarMetadata() {
    Metadata.Builder md = Metadata.newBuilder();
    ConfigMetadata.put(md, "config", com.google.protobuf.Value.newBuilder()
        .setStringValue(ConfigMetadata.configPath(Kind.SIDECAR, in.scope().namespace(), in.scope().name())).build());
    return md.build();
  }

  /**
   * The chains of one port, as its PeerAuthentication mode asks ({@link InboundMtls#options}):
   * ports of unknown protocol get HTTP chains for what the inspectors detect as HTTP and TCP
   * chains for the rest.
   */
  private List<FilterChain> chains(ChainConfig cc) {
    List<FilterChain> out = new ArrayList<>();
    for (InboundMtls.ChainOption opt : mtls.options(cc.targetPort(), portProtocol(cc.protocol()))) {
      FilterChainMatch.Builder match = FilterChainMatch.newBuilder()
          .setTransportProtocol(opt.transportProtocol())
          .addAllApplicationProtocols(opt.applicationProtocols());
      if (cc.targetPort() > 0) {
        match.setDestinationPort(UInt32Value.of(cc.targetPort()));
      }
      boolean http = opt.kind() == InboundMtls.ChainKind.HTTP;
      FilterChain.Builder chain = FilterChain.newBuilder()
          .setName(cc.name(http ? ListenerProtocol.HTTP : ListenerProtocol.TCP))
          .setFilterChainMatch(match)
          .addAllFilters(switch (opt.kind()) {
            case HTTP -> httpFilters(cc);
            case TCP -> tcpFilters(cc);
            case REFUSE -> List.of(Filters.tcpProxy(EnvoyNames.BLACK_HOLE_CLUSTER, EnvoyNames.BLACK_HOLE_CLUSTER));
          });
      opt.tls().ifPresent(tls -> chain.setTransportSocket(IstioMtls.tlsSocket(tls)));
      if (cc.metadata() != null) {
        chain.setMetadata(cc.metadata());
      }
      out.add(chain.build());
    }
    return out;
  }

  private static InboundMtls.PortProtocol portProtocol(Protocol p) {
    return switch (OutboundListeners.listenerProtocol(p)) {
      case HTTP -> InboundMtls.PortProtocol.HTTP;
      case TCP -> InboundMtls.PortProtocol.TCP;
      case AUTO -> InboundMtls.PortProtocol.AUTO;
    };
  }

  /** The workload ports with chains of their own: the Sidecar's ingress ports, else the service targets' ports. */
  private java.util.Set<Integer> declaredPorts() {
    java.util.Set<Integer> out = new TreeSet<>();
    if (!in.scope().ingressListeners().isEmpty()) {
      in.scope().ingressListeners().forEach(l -> out.add(l.getPort().getNumber()));
      return out;
    }
    for (ServiceTarget t : in.serviceTargets()) {
      out.add(t.targetPort() > 0 ? t.targetPort() : t.port().effectiveTargetPort());
    }
    return out;
  }

  private List<Filter> httpFilters(ChainConfig cc) {
    int port = cc.servicePort();
    RouteConfiguration routes = RouteConfiguration.newBuilder()
        .setName(cc.cluster())
        .addVirtualHosts(VirtualHost.newBuilder()
            .setName(EnvoyNames.inboundVirtualHost(port))
            .addDomains("*")
            .addRoutes(DefaultRoutes.inbound(cc.cluster(), cc.hostname(), port, cc.protocol())))
        .setValidateClusters(BoolValue.of(false))
        .build();
    List<Filter> out = new ArrayList<>();
    if (in.metadataExchange()) {
      out.add(Filters.listenerMetadataExchange());
    }
    out.add(Filters.httpConnectionManager(HttpConnectionManagers.build(in, new HttpConnectionManagers.Options(
        ListenerClass.SIDECAR_INBOUND, cc.protocol(), cc.httpStatPrefix(), null, routes))));
    return out;
  }

  private List<Filter> tcpFilters(ChainConfig cc) {
    List<Filter> out = new ArrayList<>();
    if (in.metadataExchange()) {
      out.add(Filters.listenerMetadataExchange());
    }
    out.addAll(AuthzFilters.network(in));
    out.addAll(tcpProxies.inbound(cc.cluster(), cc.protocol()));
    return out;
  }

  /** Black-holes traffic addressed to the inbound port itself, then passes undeclared ports through. */
  private List<FilterChain> passthroughChains() {
    List<FilterChain> out = new ArrayList<>();
    List<Filter> blackhole = new ArrayList<>();
    if (in.metadataExchange()) {
      blackhole.add(Filters.listenerMetadataExchange());
    }
    blackhole.add(Filters.tcpProxy(EnvoyNames.BLACK_HOLE_CLUSTER, EnvoyNames.BLACK_HOLE_CLUSTER));
    out.add(FilterChain.newBuilder()
        .setName(EnvoyNames.VIRTUAL_INBOUND_BLACKHOLE_CHAIN)
        .setFilterChainMatch(FilterChainMatch.newBuilder()
            .setDestinationPort(UInt32Value.of(in.mesh().getProxyInboundListenPort())))
        .addAllFilters(blackhole)
        .build());
    // Undeclared ports: sniffed as HTTP or TCP, port 0 (so tracing shows ":0/*", as upstream).
    out.addAll(chains(new ChainConfig(Protocol.UNSUPPORTED, 0, 0, EnvoyNames.INBOUND_PASSTHROUGH_CLUSTER, "", false,
        true, "", null)));
    // Undeclared ports with a port-level PeerAuthentication mode get passthrough chains of their own.
    for (int port : mtls.extraPassthroughPorts(declaredPorts())) {
      out.addAll(chains(new ChainConfig(Protocol.UNSUPPORTED, 0, port, EnvoyNames.INBOUND_PASSTHROUGH_CLUSTER, "",
          false, true, "", null)));
    }
    return out;
  }

  private Listener listener(String name, String address, int port, boolean bindToPort, List<FilterChain> chains) {
    Listener.Builder l = Listener.newBuilder()
        .setName(name)
        .setAddress(Addresses.socket(address, port))
        .setTrafficDirection(TrafficDirection.INBOUND)
        .setContinueOnListenerFiltersTimeout(true)
        .setMaxConnectionsToAcceptPerSocketEvent(UInt32Value.of(OutboundListeners.MAX_CONNECTIONS_PER_SOCKET_EVENT))
        .addAllFilterChains(chains);
    if (!bindToPort && in.tproxy()) {
      l.setTransparent(BoolValue.of(true));
    }
    l.addAllListenerFilters(listenerFilters(chains, bindToPort));
    l.setListenerFiltersTimeout(in.mesh().getProtocolDetectionTimeout());
    return l.build();
  }

  /**
   * Original destination (virtual listeners), then the TLS inspector on the destination ports
   * whose chains match on TLS, then the HTTP inspector on those whose chains match on detected
   * HTTP (after TLS, so it skips connections the TLS inspector claimed), as upstream's
   * {@code populateListenerFilters}.
   */
  private List<ListenerFilter> listenerFilters(List<FilterChain> chains, boolean bindToPort) {
    List<ListenerFilter> out = new ArrayList<>();
    if (!bindToPort) {
      out.add(Filters.originalDst());
      if (in.tproxy()) {
        out.add(Filters.originalSrc());
      }
    }
    Map<Integer, Boolean> needsHttp = new TreeMap<>();
    Map<Integer, Boolean> needsTls = new TreeMap<>();
    for (FilterChain c : chains) {
      int port = c.getFilterChainMatch().hasDestinationPort() ? c.getFilterChainMatch().getDestinationPort().getValue() : 0;
      boolean http = c.getFilterChainMatch().getApplicationProtocolsList().stream()
          .anyMatch(a -> a.equals("http/1.1") || a.equals("h2c"));
      needsHttp.merge(port, http, Boolean::logicalOr);
      needsTls.merge(port, Filters.TLS.equals(c.getFilterChainMatch().getTransportProtocol()), Boolean::logicalOr);
    }
    if (needsTls.containsValue(true)) {
      out.add(tlsInspector(needsTls));
    }
    if (!needsHttp.containsValue(true)) {
      return out;
    }
    TreeSet<Integer> disabled = portsWhere(needsHttp, false);
    ListenerFilter.Builder inspector = Filters.httpInspector().toBuilder();
    if (!disabled.isEmpty()) {
      inspector.setFilterDisabled(excludePorts(List.copyOf(disabled)));
    }
    out.add(inspector.build());
    return out;
  }

  /**
   * The TLS inspector, off where no chain needs it: when the port-less chains need it, it is on
   * except on the listed ports that do not; otherwise it is on only on the ports that do.
   */
  private static ListenerFilter tlsInspector(Map<Integer, Boolean> needsTls) {
    ListenerFilter.Builder inspector = Filters.tlsInspector().toBuilder();
    if (needsTls.getOrDefault(0, false)) {
      TreeSet<Integer> off = portsWhere(needsTls, false);
      off.remove(0);
      if (!off.isEmpty()) {
        inspector.setFilterDisabled(excludePorts(List.copyOf(off)));
      }
    } else {
      TreeSet<Integer> on = portsWhere(needsTls, true);
      on.remove(0);
      if (!on.isEmpty()) {
        inspector.setFilterDisabled(ListenerFilterChainMatchPredicate.newBuilder()
            .setNotMatch(excludePorts(List.copyOf(on))));
      }
    }
    return inspector.build();
  }

  private static TreeSet<Integer> portsWhere(Map<Integer, Boolean> needs, boolean value) {
    TreeSet<Integer> out = new TreeSet<>();
    needs.forEach((port, need) -> {
      if (need == value) {
        out.add(port);
      }
    });
    return out;
  }

  private static ListenerFilterChainMatchPredicate excludePorts(List<Integer> ports) {
    List<ListenerFilterChainMatchPredicate> ranges = new ArrayList<>();
    for (int p : ports) {
      ranges.add(ListenerFilterChainMatchPredicate.newBuilder()
          .setDestinationPortRange(Int32Range.newBuilder().setStart(p).setEnd(p + 1)).build());
    }
    if (ranges.size() == 1) {
      return ranges.get(0);
    }
    return ListenerFilterChainMatchPredicate.newBuilder()
        .setOrMatch(ListenerFilterChainMatchPredicate.MatchSet.newBuilder().addAllRules(ranges)).build();
  }
}
