package dev.istiod.xds.core.listener;

import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import dev.istiod.api.networking.v1alpha3.CaptureMode;
import dev.istiod.api.networking.v1alpha3.ConnectionPoolSettings;
import dev.istiod.model.Endpoint;
import dev.istiod.model.Protocol;
import dev.istiod.model.Resolution;
import dev.istiod.model.Service;
import dev.istiod.model.ServicePort;
import dev.istiod.model.push.EgressListener;
import dev.istiod.model.push.Hosts;
import dev.istiod.xds.core.Addresses;
import dev.istiod.xds.core.EnvoyNames;
import dev.istiod.xds.core.ListenerClass;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.filter.Filters;
import dev.istiod.xds.core.route.DefaultRoutes;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
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
 * services get {@code <VIP>_<port>} (or share {@code 0.0.0.0_<port>}, told apart by SNI or
 * destination CIDR). Listeners are virtual ({@code bind_to_port: false}, fed by
 * {@code virtualOutbound}) unless the proxy or the egress listener captures nothing, in which case
 * they bind a real port (127.0.0.1 or the egress listener's {@code bind}).
 *
 * <p>Protocol sniffing for ports of unknown protocol arrives with issue 3; until then they are
 * served as TCP, which always works but does not apply HTTP routing.
 */
public final class OutboundListeners {
  private static final Logger log = LoggerFactory.getLogger(OutboundListeners.class);
  static final Duration TRANSPORT_SOCKET_CONNECT_TIMEOUT = Duration.newBuilder().setSeconds(15).build();

  /** How a listener treats connections. */
  enum ListenerProtocol { HTTP, TCP, AUTO }

  private record Key(String bind, int port) {}

  /** A listener being assembled from the services that land on it. */
  private static final class Entry {
    final ServicePort port;
    final String bind;
    final boolean bindToPort;
    ListenerProtocol protocol;
    List<ChainSpec> chains;
    boolean locked;

    Entry(ServicePort port, String bind, boolean bindToPort, ListenerProtocol protocol, List<ChainSpec> chains) {
      this.port = port;
      this.bind = bind;
      this.bindToPort = bindToPort;
      this.protocol = protocol;
      this.chains = new ArrayList<>(chains);
    }
  }

  private final ProxyInputs in;

  public OutboundListeners(ProxyInputs in) {
    this.in = in;
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
        ServicePort port = new ServicePort(egress.listener().getPort().getName(), egress.port(), egress.protocol());
        if (!canBind(bindToPort, bind, port)) {
          continue;
        }
        for (Service s : egress.services()) {
          add(entries, s, port, bind, bindToPort);
        }
        continue;
      }
      entries.values().forEach(e -> e.locked = true);
      for (Service s : egress.services()) {
        for (ServicePort port : s.ports()) {
          if (!canBind(bindToPort, bind, port)) {
            continue;
          }
          if (bind.isEmpty() && s.resolution() == Resolution.PASSTHROUGH && s.addresses().isEmpty()
              && listenerProtocol(port.protocol()) != ListenerProtocol.HTTP) {
            addPerEndpoint(entries, s, port, bindToPort);
          } else {
            add(entries, s, port, bind, bindToPort);
          }
        }
      }
    }
    List<Listener> out = new ArrayList<>();
    entries.values().forEach(e -> out.add(render(e)));
    return out;
  }

  /**
   * Services without VIP and resolution NONE (headless): a listener per endpoint IP, so each
   * destination address gets its own TCP chain; without endpoints, a wildcard listener.
   */
  private void addPerEndpoint(Map<Key, Entry> entries, Service s, ServicePort port, boolean bindToPort) {
    List<String> ips = in.push().endpoints(s.key()).stream()
        .filter(e -> e.servicePortName().equals(port.name()))
        .map(Endpoint::address)
        .filter(Hosts::isIpAddress)
        .filter(ip -> in.proxy().ipAddresses().isEmpty() || !ip.equals(in.proxy().ipAddresses().get(0)))
        .distinct()
        .toList();
    if (ips.isEmpty()) {
      add(entries, s, port, "", bindToPort);
      return;
    }
    ips.forEach(ip -> add(entries, s, port, ip, bindToPort));
  }

  /** Upstream's {@code CanBindToPort}: unprivileged proxies cannot bind below 1024; reserved ports stay free. */
  private boolean canBind(boolean bindToPort, String bind, ServicePort port) {
    if (bindToPort && port.port() < 1024 && in.unprivileged()) {
      log.debug("{}: skipping privileged port {}", in.proxy().id(), port.port());
      return false;
    }
    if (!bind.isEmpty() && !bind.equals(in.wildcardAddress())) {
      return true;
    }
    if (bind.isEmpty() && !port.protocol().isHttp()) {
      return true;
    }
    int p = port.port();
    boolean reserved = p == in.mesh().getProxyListenPort() || p == in.mesh().getProxyInboundListenPort()
        || p == in.metadataPort("ENVOY_STATUS_PORT") || p == in.metadataPort("ENVOY_PROMETHEUS_PORT");
    if (reserved) {
      log.warn("{}: skipping port {}: it conflicts with a listener of the proxy itself", in.proxy().id(), p);
    }
    return !reserved;
  }

  private void add(Map<Key, Entry> entries, Service service, ServicePort port, String bind, boolean bindToPort) {
    try {
      addChecked(entries, service, port, bind, bindToPort);
    } catch (RuntimeException e) {
      // One service's bad input must not cost the proxy every other listener.
      log.error("{}: skipping {}:{} on the outbound listeners: {}", in.proxy().id(), service.hostname(), port.port(),
          e.toString(), e);
    }
  }

  private void addChecked(Map<Key, Entry> entries, Service service, ServicePort port, String bind, boolean bindToPort) {
    ListenerProtocol lp = listenerProtocol(port.protocol());
    if (lp == null) {
      return; // UDP is not proxied
    }
    if (lp == ListenerProtocol.AUTO) {
      lp = ListenerProtocol.TCP; // sniffing: issue 3
    }
    List<String> cidrs = List.of();
    String address = bind;
    if (address.isEmpty()) {
      if (lp == ListenerProtocol.HTTP) {
        address = in.wildcardAddress();
      } else {
        String vip = service.addresses().isEmpty() ? in.wildcardAddress() : service.addresses().get(0);
        if (vip.contains("/")) {
          address = in.wildcardAddress();
          cidrs = List.of(vip);
        } else {
          address = vip;
        }
      }
    }
    Key key = new Key(address, port.port());
    Entry existing = entries.get(key);
    if (existing != null && existing.locked) {
      return;
    }
    if (lp == ListenerProtocol.HTTP) {
      if (existing != null && existing.protocol != ListenerProtocol.TCP) {
        return; // HTTP services on one port share the listener; RDS tells them apart
      }
      ChainSpec chain = ChainSpec.http(EnvoyNames.outboundRouteConfig(port.port()));
      ListenerProtocol recorded = ListenerProtocol.HTTP;
      if (address.equals(in.wildcardAddress())) {
        // Plain-text HTTP is told from other traffic to the same port by the HTTP inspector;
        // anything else falls through to the TCP or passthrough chain.
        chain = chain.withApplicationProtocols(Filters.PLAINTEXT_HTTP_ALPNS, Filters.RAW_BUFFER);
        recorded = ListenerProtocol.AUTO;
      }
      if (existing == null) {
        entries.put(key, new Entry(port, address, bindToPort, recorded, List.of(chain)));
      } else if (recorded == ListenerProtocol.AUTO) {
        merge(existing, List.of(chain), service);
        existing.protocol = ListenerProtocol.AUTO;
      } else {
        log.warn("{}: HTTP service {} conflicts with a TCP listener on {}; kept the TCP listener",
            in.proxy().id(), service.hostname(), EnvoyNames.listener(address, port.port()));
      }
      return;
    }
    List<ChainSpec> chains = tcpChains(service, port, address, cidrs);
    if (existing == null) {
      entries.put(key, new Entry(port, address, bindToPort, ListenerProtocol.TCP, chains));
      return;
    }
    if (existing.protocol == ListenerProtocol.HTTP) {
      log.warn("{}: TCP service {} conflicts with an HTTP listener on {}; kept the HTTP listener",
          in.proxy().id(), service.hostname(), EnvoyNames.listener(address, port.port()));
      return;
    }
    merge(existing, chains, service);
  }

  /** Adds chains whose match differs from every existing chain; Envoy rejects duplicates. */
  private void merge(Entry e, List<ChainSpec> incoming, Service service) {
    for (ChainSpec c : incoming) {
      if (e.chains.stream().anyMatch(x -> x.conflictsWith(c))) {
        log.debug("{}: {} conflicts with another service on {}:{}; skipped", in.proxy().id(), service.hostname(),
            e.bind, e.port.port());
        continue;
      }
      e.chains.add(c);
    }
  }

  /**
   * The TCP chain of a service: to its cluster, matching by SNI (TLS ports) or CIDR when the
   * listener is shared on the wildcard address. TCP routes of VirtualServices arrive with issue 3.
   */
  private List<ChainSpec> tcpChains(Service service, ServicePort listenPort, String bind, List<String> cidrs) {
    int port = service.ports().size() == 1 ? service.ports().get(0).port() : listenPort.port();
    String cluster = EnvoyNames.outboundCluster(port, "", service.hostname());
    TcpProxy.Builder tcp = TcpProxy.newBuilder().setStatPrefix(cluster).setCluster(cluster);
    in.scope().destinationRule(in.proxy(), service.hostname()).ifPresent(dr -> {
      ConnectionPoolSettings.TCPSettings t = dr.rule().getTrafficPolicy().getConnectionPool().getTcp();
      if (t.hasIdleTimeout()) {
        tcp.setIdleTimeout(t.getIdleTimeout());
      }
      if (t.hasMaxConnectionDuration()) {
        tcp.setMaxDownstreamConnectionDuration(t.getMaxConnectionDuration());
      }
    });
    List<String> sni = List.of();
    if (listenPort.protocol().isTls()) {
      String vip = service.addresses().isEmpty() ? "" : service.addresses().get(0);
      if (!cidrs.isEmpty() || vip.isEmpty() || vip.contains("/")
          || (vip.equals(in.wildcardAddress()) && bind.equals(in.wildcardAddress()))) {
        sni = List.of(service.hostname());
      }
    }
    return List.of(ChainSpec.tcp(sni, cidrs, List.of(Filters.tcpProxy(tcp.build()))));
  }

  private Listener render(Entry e) {
    String name = EnvoyNames.listener(e.bind, e.port.port());
    Listener.Builder l = Listener.newBuilder()
        .setName(name)
        .setAddress(Addresses.socket(e.bind, e.port.port()))
        .setTrafficDirection(TrafficDirection.OUTBOUND)
        .setContinueOnListenerFiltersTimeout(true);
    if (!e.bindToPort) {
      l.setBindToPort(BoolValue.of(false));
    }
    boolean tls = e.chains.stream().anyMatch(c -> !c.serverNames().isEmpty());
    boolean http = e.chains.stream().anyMatch(c -> !c.applicationProtocols().isEmpty());
    if (tls) {
      l.addListenerFilters(Filters.tlsInspector());
    }
    if (http) {
      l.addListenerFilters(Filters.httpInspector());
      l.setListenerFiltersTimeout(in.mesh().getProtocolDetectionTimeout());
    } else {
      l.setListenerFiltersTimeout(Duration.getDefaultInstance());
    }
    FilterChain defaultChain = null;
    for (ChainSpec spec : e.chains) {
      FilterChain.Builder chain = FilterChain.newBuilder().setTransportSocketConnectTimeout(TRANSPORT_SOCKET_CONNECT_TIMEOUT);
      if (spec.isHttp()) {
        chain.addFilters(Filters.httpConnectionManager(HttpConnectionManagers.build(in, new HttpConnectionManagers.Options(
            ListenerClass.SIDECAR_OUTBOUND, e.port.protocol(), EnvoyNames.outboundHttpStatPrefix(name), spec.rds(), null))));
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

  /** Unknown traffic: to the original destination (ALLOW_ANY, or the egress proxy), or dropped. */
  List<Filter> catchAllFilters() {
    String cluster = EnvoyNames.BLACK_HOLE_CLUSTER;
    if (in.scope().allowAnyOutbound()) {
      cluster = in.scope().outboundTrafficPolicy().hasEgressProxy()
          ? DefaultRoutes.egressProxyCluster(in.scope().outboundTrafficPolicy().getEgressProxy())
          : EnvoyNames.PASSTHROUGH_CLUSTER;
    }
    return List.of(Filters.tcpProxy(cluster, cluster));
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
