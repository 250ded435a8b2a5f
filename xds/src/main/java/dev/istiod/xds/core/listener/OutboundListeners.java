package dev.istiod.xds.core.listener;

import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import dev.istiod.api.networking.v1alpha3.CaptureMode;
import dev.istiod.model.Config;
import dev.istiod.model.Endpoint;
import dev.istiod.model.Protocol;
import dev.istiod.model.Resolution;
import dev.istiod.model.Service;
import dev.istiod.model.ServicePort;
import dev.istiod.model.push.EgressListener;
import dev.istiod.model.push.Hosts;
import dev.istiod.xds.core.Addresses;
import dev.istiod.xds.core.EnvoyNames;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.filter.Filters;
import dev.istiod.xds.core.listener.OutboundChains.Opts;
import dev.istiod.xds.core.route.DefaultRoutes;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sidecar's outbound listeners, as upstream's {@code buildSidecarOutboundListeners}: for each
 * egress listener of the sidecar scope, one listener per (bind address, port) its services need.
 * HTTP services share {@code 0.0.0.0_<port>} and route by Host through RDS {@code "<port>"}; TCP
 * and TLS services get {@code <VIP>_<port>} (or share {@code 0.0.0.0_<port>}, told apart by SNI or
 * destination CIDR); services of undeclared protocol get {@code <VIP>_<port>} with the HTTP
 * inspector choosing between an HTTP chain (RDS {@code "<host>:<port>"}) and a TCP one.
 * Listeners are virtual ({@code bind_to_port: false}, fed by {@code virtualOutbound}) unless the
 * proxy or the egress listener captures nothing, in which case they bind a real port (127.0.0.1
 * or the egress listener's {@code bind}).
 *
 * <p>Services that collide on one listener are resolved as upstream does: HTTP and TCP on one
 * port turn the listener into a sniffing one, TCP chains with the same match keep the first
 * (reported through {@link ListenerConflicts}), and nothing joins a port a Sidecar egress listener
 * claimed explicitly.
 */
public final class OutboundListeners {
  private static final Logger log = LoggerFactory.getLogger(OutboundListeners.class);
  /** Upstream's {@code MAX_CONNECTIONS_PER_SOCKET_EVENT_LOOP} default, on listeners that bind a port. */
  static final int MAX_CONNECTIONS_PER_SOCKET_EVENT = 1;
  /** Bounds slow TLS handshakes on outbound chains, as upstream. */
  static final com.google.protobuf.Duration TRANSPORT_SOCKET_CONNECT_TIMEOUT =
      com.google.protobuf.Duration.newBuilder().setSeconds(15).build();

  /** How a listener treats connections. */
  public enum ListenerProtocol { HTTP, TCP, AUTO }

  private enum Conflict { NONE, HTTP_OVER_TCP, TCP_OVER_HTTP, TCP_OVER_TCP, TCP_OVER_AUTO, AUTO_OVER_HTTP, AUTO_OVER_TCP }

  private record Key(String bind, int port) {}

  /** A listener being assembled from the services that land on it. */
  private static final class Entry {
    final ServicePort port;
    final String bind;
    final boolean bindToPort;
    Protocol protocol;
    List<ChainSpec> chains;
    boolean locked;

    Entry(ServicePort port, String bind, boolean bindToPort, Protocol protocol, List<ChainSpec> chains) {
      this.port = port;
      this.bind = bind;
      this.bindToPort = bindToPort;
      this.protocol = protocol;
      this.chains = new ArrayList<>(chains);
    }
  }

  private final ProxyInputs in;
  private final OutboundChains chains;
  private final TcpProxies tcpProxies;
  private final ListenerConflicts conflicts;

  public OutboundListeners(ProxyInputs in) {
    this(in, new ListenerConflicts());
  }

  public OutboundListeners(ProxyInputs in, ListenerConflicts conflicts) {
    this.in = in;
    this.chains = new OutboundChains(in);
    this.tcpProxies = new TcpProxies(in);
    this.conflicts = conflicts;
  }

  public static ListenerProtocol listenerProtocol(Protocol p) {
    if (p.isHttp()) {
      return ListenerProtocol.HTTP;
    }
    if (p.isUnsupported()) {
      return ListenerProtocol.AUTO;
    }
    return p == Protocol.UDP ? null : ListenerProtocol.TCP;
  }

  /** The per-port outbound listeners, in a stable order. */
  public List<Listener> build() {
    Map<Key, Entry> entries = new LinkedHashMap<>();
    for (EgressListener egress : in.scope().egressListeners()) {
      boolean bindToPort = in.interceptionNone() || egress.captureMode() == CaptureMode.NONE
          || egress.bind().startsWith("unix://");
      String bind = !egress.bind().isEmpty() ? egress.bind() : bindToPort ? in.localhostAddress() : "";
      if (!egress.isCatchAll()) {
        addExplicitPort(entries, egress, bind, bindToPort);
        continue;
      }
      // Ports an earlier egress listener claimed are the user's: a catch-all adds nothing to them.
      entries.values().forEach(e -> e.locked = true);
      for (Service s : egress.services()) {
        for (ServicePort port : s.ports()) {
          if (!canBind(bindToPort, bind, port)) {
            continue;
          }
          if (bind.isEmpty() && s.resolution() == Resolution.PASSTHROUGH && s.defaultAddress().equals("0.0.0.0")
              && (port.protocol().isTcp() || port.protocol().isUnsupported())) {
            addPerEndpoint(entries, s, port, bindToPort, egress.virtualServices());
          } else {
            for (String address : addresses(s)) {
              add(entries, new Opts(s, port, address, bind, List.of()), bindToPort, egress.virtualServices());
            }
          }
        }
      }
    }
    List<Listener> out = new ArrayList<>();
    entries.values().forEach(e -> out.add(render(e)));
    return out;
  }

  private void addExplicitPort(Map<Key, Entry> entries, EgressListener egress, String bind, boolean bindToPort) {
    if (egress.port() < 1 || egress.port() > 65535) {
      log.warn("{}: skipping Sidecar egress listener on port {}: only TCP ports are served", in.proxy().id(), egress.port());
      return;
    }
    ServicePort port = new ServicePort(egress.listener().getPort().getName(), egress.port(), egress.protocol());
    if (!canBind(bindToPort, bind, port)) {
      return;
    }
    for (Service s : egress.services()) {
      for (String address : addresses(s)) {
        add(entries, new Opts(s, port, address, bind, List.of()), bindToPort, egress.virtualServices());
      }
    }
  }

  /**
   * Every address a service gets listeners on. A ServiceEntry with several {@code addresses} is
   * one service per address upstream, so each gets its own listener; a Kubernetes service's first
   * cluster IP is its address (dual stack is not served).
   */
  private static List<String> addresses(Service s) {
    if (s.addresses().isEmpty()) {
      return List.of("0.0.0.0");
    }
    return s.registry() == Service.Registry.SERVICE_ENTRY ? s.addresses() : List.of(s.addresses().get(0));
  }

  /**
   * Services without VIP and resolution NONE (headless): a listener per endpoint IP, so each
   * destination address gets its own TCP chain. A ServiceEntry without endpoints falls back to a
   * wildcard listener; a Kubernetes service without endpoints gets none (traffic could not work,
   * and a wildcard listener could collide after a scale-down), as upstream.
   */
  private void addPerEndpoint(Map<Key, Entry> entries, Service s, ServicePort port, boolean bindToPort,
      List<Config> virtualServices) {
    List<Endpoint> endpoints = in.push().endpoints(s.key()).stream()
        .filter(e -> e.servicePortName().equals(port.name()))
        .toList();
    if (endpoints.isEmpty()) {
      if (s.registry() != Service.Registry.KUBERNETES) {
        add(entries, new Opts(s, port, "0.0.0.0", "", List.of()), bindToPort, virtualServices);
      }
      return;
    }
    String self = in.proxy().ipAddresses().isEmpty() ? "" : in.proxy().ipAddresses().get(0);
    endpoints.stream()
        .map(Endpoint::address)
        .filter(Hosts::isIpAddress)
        .filter(ip -> !ip.equals(self)) // traffic to itself does not go through an outbound listener
        .distinct()
        .forEach(ip -> add(entries, new Opts(s, port, "0.0.0.0", ip, List.of()), bindToPort, virtualServices));
  }

  private boolean canBind(boolean bindToPort, String bind, ServicePort port) {
    return PortBinding.canBind(in, bindToPort, bind, port.port(), port.protocol(), true);
  }

  private void add(Map<Key, Entry> entries, Opts opts, boolean bindToPort, List<Config> virtualServices) {
    try {
      addChecked(entries, opts, bindToPort, virtualServices);
    } catch (RuntimeException e) {
      // One service's bad input must not cost the proxy every other listener.
      log.error("{}: skipping {}:{} on the outbound listeners: {}", in.proxy().id(), opts.service().hostname(),
          opts.port().port(), e.toString(), e);
    }
  }

  /** Upstream's {@code buildSidecarOutboundListener}: finds the listener's key, then adds or merges. */
  private void addChecked(Map<Key, Entry> entries, Opts opts, boolean bindToPort, List<Config> virtualServices) {
    ListenerProtocol lp = listenerProtocol(opts.port().protocol());
    if (lp == null) {
      return; // UDP is not proxied
    }
    opts = withBind(opts, lp);
    Key key = new Key(opts.bind(), opts.port().port());
    Entry current = entries.get(key);
    if (current != null && current.locked) {
      return;
    }
    Protocol entryProtocol = opts.port().protocol();
    Conflict conflict = Conflict.NONE;
    List<ChainSpec> incoming;
    if (opts.port().protocol() == Protocol.HTTP_PROXY) {
      incoming = List.of(chains.http(opts, lp));
    } else if (lp == ListenerProtocol.HTTP) {
      if (current != null) {
        if (!current.protocol.isTcp()) {
          return; // HTTP services on one port share the listener; RDS tells them apart
        }
        conflict = Conflict.HTTP_OVER_TCP;
      }
      incoming = List.of(chains.http(opts, lp));
      if (opts.bind().equals(in.wildcardAddress())) {
        // Plain-text HTTP is told from other traffic to the same port by the HTTP inspector;
        // anything else falls through to the TCP or passthrough chain: the listener sniffs.
        incoming = List.of(chains.sniffedHttp(opts, lp));
        entryProtocol = Protocol.UNSUPPORTED;
      }
    } else if (lp == ListenerProtocol.TCP) {
      incoming = chains.tcp(opts, virtualServices);
      if (current != null) {
        conflict = current.protocol.isHttp() ? Conflict.TCP_OVER_HTTP
            : current.protocol.isTcp() ? Conflict.TCP_OVER_TCP : Conflict.TCP_OVER_AUTO;
      }
    } else if (current != null && current.protocol.isUnsupported()) {
      // Another sniffed service (or a headless endpoint) on this listener: its HTTP chain is
      // already there, only TCP chains can add anything.
      conflict = Conflict.TCP_OVER_AUTO;
      incoming = chains.tcp(opts, virtualServices);
    } else {
      if (current != null) {
        conflict = current.protocol.isHttp() ? Conflict.AUTO_OVER_HTTP : Conflict.AUTO_OVER_TCP;
      }
      incoming = new ArrayList<>(chains.tcp(opts, virtualServices));
      incoming.add(chains.sniffedHttp(opts, lp));
    }
    if (current != null && !compatibleOnWellKnownPort(opts.port().protocol(), current.protocol)) {
      log.warn("{}: {} port {} of {} conflicts with a {} listener on the same port; Mongo and MySQL cannot share a port",
          in.proxy().id(), opts.port().protocol(), opts.port().port(), opts.service().hostname(), current.protocol);
      conflicts.record(ListenerConflicts.Kind.WELL_KNOWN_PORT, in.proxy(), EnvoyNames.listener(key.bind(), key.port()),
          current.protocol, opts.service().hostname(), opts.port().protocol());
      return;
    }
    switch (conflict) {
      case NONE, AUTO_OVER_HTTP -> entries.put(key, new Entry(opts.port(), opts.bind(), bindToPort, entryProtocol, incoming));
      case HTTP_OVER_TCP, TCP_OVER_HTTP, AUTO_OVER_TCP -> {
        merge(current, incoming, opts);
        current.protocol = Protocol.UNSUPPORTED;
      }
      case TCP_OVER_TCP, TCP_OVER_AUTO -> merge(current, incoming, opts);
    }
  }

  /**
   * The listener address: the egress listener's bind, else (TCP and sniffed) the service's
   * address, the wildcard with a CIDR match when that address is a CIDR, or (HTTP) the wildcard.
   */
  private Opts withBind(Opts opts, ListenerProtocol lp) {
    if (!opts.bind().isEmpty()) {
      return opts;
    }
    if (lp == ListenerProtocol.HTTP) {
      return new Opts(opts.service(), opts.port(), opts.address(), in.wildcardAddress(), opts.cidrs());
    }
    String address = opts.address();
    if (address.contains("/")) {
      return new Opts(opts.service(), opts.port(), address, in.wildcardAddress(), List.of(address));
    }
    if (address.equals("0.0.0.0") && in.ipv6Only() && opts.service().registry() == Service.Registry.SERVICE_ENTRY) {
      address = "::"; // a ServiceEntry without address on an IPv6 proxy
    }
    return new Opts(opts.service(), opts.port(), opts.address(), address, opts.cidrs());
  }

  /** Upstream's {@code isConflictWithWellKnownPort}: Mongo and MySQL never share a port with another protocol. */
  private static boolean compatibleOnWellKnownPort(Protocol incoming, Protocol existing) {
    boolean wellKnown = incoming == Protocol.MONGO || incoming == Protocol.MYSQL
        || existing == Protocol.MONGO || existing == Protocol.MYSQL;
    return !wellKnown || incoming == existing;
  }

  /** Adds chains whose match differs from every chain already there; Envoy rejects duplicates. */
  private void merge(Entry e, List<ChainSpec> incoming, Opts opts) {
    for (ChainSpec c : incoming) {
      if (e.chains.stream().anyMatch(x -> x.conflictsWith(c))) {
        String listener = EnvoyNames.listener(e.bind, e.port.port());
        log.debug("{}: {} conflicts with another service on {}; skipped", in.proxy().id(), opts.service().hostname(), listener);
        conflicts.record(ListenerConflicts.Kind.TCP_OVER_TCP, in.proxy(), listener, e.port.protocol(),
            opts.service().hostname(), opts.port().protocol());
        continue;
      }
      e.chains.add(c);
    }
  }

  /** Upstream's {@code buildListenerFromEntry}. */
  private Listener render(Entry e) {
    String name = EnvoyNames.listener(e.bind, e.port.port());
    Listener.Builder l = Listener.newBuilder()
        .setName(name)
        .setAddress(Addresses.socket(e.bind, e.port.port()))
        .setTrafficDirection(TrafficDirection.OUTBOUND)
        .setContinueOnListenerFiltersTimeout(true);
    if (e.bindToPort) {
      l.setMaxConnectionsToAcceptPerSocketEvent(UInt32Value.of(MAX_CONNECTIONS_PER_SOCKET_EVENT));
    } else {
      l.setBindToPort(BoolValue.of(false));
    }
    if (e.chains.stream().anyMatch(c -> !c.serverNames().isEmpty())) {
      l.addListenerFilters(Filters.tlsInspector());
    }
    if (e.chains.stream().anyMatch(c -> !c.applicationProtocols().isEmpty())) {
      l.addListenerFilters(Filters.httpInspector());
      l.setListenerFiltersTimeout(in.mesh().getProtocolDetectionTimeout());
    } else {
      l.setListenerFiltersTimeout(com.google.protobuf.Duration.getDefaultInstance());
    }
    FilterChain defaultChain = null;
    for (ChainSpec spec : e.chains) {
      FilterChain.Builder chain = FilterChain.newBuilder()
          .setTransportSocketConnectTimeout(TRANSPORT_SOCKET_CONNECT_TIMEOUT);
      spec.metadataIfSet().ifPresent(chain::setMetadata);
      if (spec.isHttp()) {
        chain.addFilters(Filters.httpConnectionManager(HttpConnectionManagers.build(in, new HttpConnectionManagers.Options(
            dev.istiod.xds.core.ListenerClass.SIDECAR_OUTBOUND, spec.httpProtocol(), EnvoyNames.outboundHttpStatPrefix(name),
            spec.rds(), null))));
      } else {
        chain.addAllFilters(spec.networkFilters());
      }
      if (spec.isMatchAll()) {
        defaultChain = chain.build();
      } else {
        l.addFilterChains(chain.setFilterChainMatch(spec.toMatch()));
      }
    }
    if (defaultChain != null && l.getFilterChainsCount() == 0) {
      l.addFilterChains(defaultChain);
    } else if (defaultChain != null) {
      l.setDefaultFilterChain(defaultChain);
    } else {
      l.setDefaultFilterChain(FilterChain.newBuilder()
          .setFilterChainMatch(FilterChainMatch.getDefaultInstance())
          .setName(EnvoyNames.PASSTHROUGH_FILTER_CHAIN)
          .addAllFilters(catchAllFilters()));
    }
    return l.build();
  }

  /** Unknown traffic: to the original destination (ALLOW_ANY), the Sidecar's egress proxy, or dropped. */
  List<Filter> catchAllFilters() {
    String cluster = EnvoyNames.BLACK_HOLE_CLUSTER;
    if (in.scope().allowAnyOutbound()) {
      cluster = in.scope().outboundTrafficPolicy().hasEgressProxy()
          ? DefaultRoutes.egressProxyCluster(in.scope().outboundTrafficPolicy().getEgressProxy())
          : EnvoyNames.PASSTHROUGH_CLUSTER;
    }
    return List.of(tcpProxies.catchAll(cluster));
  }

  /**
   * {@code virtualOutbound}: where iptables sends outbound connections. It hands each connection
   * to the listener for its original destination ({@code use_original_dst}); what no listener
   * takes goes to the catch-all chain. Traffic addressed to the port itself is black-holed so it
   * cannot loop. Absent when the proxy captures nothing.
   */
  public Optional<Listener> virtualOutbound() {
    if (in.interceptionNone()) {
      return Optional.empty();
    }
    int port = in.mesh().getProxyListenPort();
    Listener.Builder l = Listener.newBuilder()
        .setName(EnvoyNames.VIRTUAL_OUTBOUND_LISTENER)
        .setAddress(Addresses.socket(in.wildcardAddress(), port))
        .setUseOriginalDst(BoolValue.of(true))
        .setTrafficDirection(TrafficDirection.OUTBOUND)
        .setMaxConnectionsToAcceptPerSocketEvent(UInt32Value.of(MAX_CONNECTIONS_PER_SOCKET_EVENT))
        .addFilterChains(FilterChain.newBuilder()
            .setName(EnvoyNames.VIRTUAL_OUTBOUND_BLACKHOLE_CHAIN)
            .setFilterChainMatch(FilterChainMatch.newBuilder().setDestinationPort(UInt32Value.of(port)))
            .addFilters(Filters.tcpProxy(EnvoyNames.BLACK_HOLE_CLUSTER, EnvoyNames.BLACK_HOLE_CLUSTER)))
        .addFilterChains(FilterChain.newBuilder()
            .setName(EnvoyNames.VIRTUAL_OUTBOUND_CATCH_ALL_TCP_CHAIN)
            .addAllFilters(catchAllFilters()));
    if (in.tproxy()) {
      l.setTransparent(BoolValue.of(true));
    }
    return Optional.of(l.build());
  }
}
