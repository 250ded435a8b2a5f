package dev.istiod.xds.core.gateway;

import dev.istiod.model.Protocol;
import dev.istiod.xds.core.Addresses;
import dev.istiod.xds.core.EnvoyNames;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.filter.Filters;
import dev.istiod.xds.core.gateway.MergedGateway.BoundServer;
import dev.istiod.xds.core.gateway.MergedGateway.PortServers;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gateway proxy's listeners, as upstream's {@code buildGatewayListeners}: one listener
 * {@code <bind>_<port>} per merged server port (bind defaults to the proxy's wildcard address).
 * Plain-text HTTP servers share one chain fetching {@code http.<port>}; every other server adds
 * its own chains, told apart by SNI: terminated HTTPS with an HTTP connection manager fetching
 * {@code https.<port>.<portName>.<gateway>.<namespace>}, TCP/TLS/passthrough with TCP proxies.
 *
 * <p>Nothing Envoy would reject is sent: a chain whose match repeats an earlier chain's is dropped,
 * a listener left without chains is omitted, and servers this istiod cannot serve yet
 * (ISTIO_MUTUAL, {@code credentialName}) are left out. Each such decision is logged and listed in
 * {@link Result#skipped}.
 */
public final class GatewayListeners {
  private static final Logger log = LoggerFactory.getLogger(GatewayListeners.class);

  /** The listeners, and what was left out of them and why. */
  public record Result(List<Listener> listeners, List<String> skipped) {
    public Result {
      listeners = List.copyOf(listeners);
      skipped = List.copyOf(skipped);
    }
  }

  /** Chains gathered for one listener name (two ports can resolve to one listener). */
  private record Draft(String bind, int port, List<GatewayChain> chains) {}

  private final GatewayInputs gw;
  private final ProxyInputs in;

  public GatewayListeners(GatewayInputs gw) {
    this.gw = gw;
    this.in = gw.in();
  }

  public Result build() {
    List<String> skipped = new ArrayList<>(gw.merged().rejected());
    GatewayTcpChains tcp = new GatewayTcpChains(gw, skipped);
    Map<String, Draft> drafts = new LinkedHashMap<>();
    for (PortServers p : gw.merged().ports()) {
      int port = p.port().number();
      if (in.unprivileged() && port < 1024) {
        String what = "port " + port + ": the proxy cannot bind privileged ports (UNPRIVILEGED_POD)";
        log.warn("{}: skipping gateway {}", in.proxy().id(), what);
        skipped.add(what);
        continue;
      }
      String bind = p.port().bind().isEmpty() ? in.wildcardAddress() : p.port().bind();
      String name = EnvoyNames.listener(bind, port);
      Draft d = drafts.computeIfAbsent(name, k -> new Draft(bind, port, new ArrayList<>()));
      try {
        d.chains().addAll(chains(p, name, tcp, skipped));
      } catch (RuntimeException e) {
        // One port's bad input must not cost the gateway every other listener.
        log.error("{}: skipping gateway listener {}: {}", in.proxy().id(), name, e.toString(), e);
        skipped.add(name + ": " + e.getMessage());
      }
    }
    List<Listener> out = new ArrayList<>();
    drafts.forEach((name, d) -> render(name, d, skipped).ifPresent(out::add));
    return new Result(out, skipped);
  }

  private List<GatewayChain> chains(PortServers p, String listenerName, GatewayTcpChains tcp, List<String> skipped) {
    Protocol protocol = Protocol.parse(p.port().protocol());
    if (protocol.isHttp()) {
      HttpConnectionManager hcm = GatewayConnectionManagers.build(in, protocol,
          EnvoyNames.outboundHttpStatPrefix(listenerName), p.routeName());
      return List.of(new GatewayChain(List.of(), List.of(), Optional.empty(), List.of(Filters.httpConnectionManager(hcm)),
          "HTTP servers on " + listenerName));
    }
    List<GatewayChain> out = new ArrayList<>();
    for (BoundServer b : p.servers()) {
      if (GatewayServers.isHttpsTerminating(b.server())) {
        httpsChain(b, listenerName, skipped).ifPresent(out::add);
      } else {
        out.addAll(tcp.chains(b, p.port().number()));
      }
    }
    return out;
  }

  /** A terminated HTTPS server: its certificate, its hosts as SNI, its own route configuration. */
  private Optional<GatewayChain> httpsChain(BoundServer b, String listenerName, List<String> skipped) {
    GatewayTls.Result tls = GatewayTls.downstream(b.server().getTls(), in.mesh(), gw.credentials());
    if (tls instanceof GatewayTls.Result.Unsupported u) {
      String what = GatewayTcpChains.origin(b) + ": " + u.reason();
      log.error("{}: skipping {}", in.proxy().id(), what);
      skipped.add(what);
      return Optional.empty();
    }
    String statPrefix = b.server().getName().isEmpty()
        ? EnvoyNames.outboundHttpStatPrefix(listenerName) : b.server().getName();
    HttpConnectionManager hcm = GatewayConnectionManagers.build(in, GatewayServers.protocol(b.server()), statPrefix,
        b.routeName());
    List<Filter> filters = List.of(Filters.httpConnectionManager(hcm));
    return Optional.of(new GatewayChain(b.sniHosts(), List.of(),
        Optional.of(((GatewayTls.Result.Ready) tls).context()), filters, GatewayTcpChains.origin(b)));
  }

  private Optional<Listener> render(String name, Draft d, List<String> skipped) {
    List<GatewayChain> kept = new ArrayList<>();
    for (GatewayChain c : d.chains()) {
      Optional<GatewayChain> clash = kept.stream().filter(k -> k.conflictsWith(c)).findFirst();
      if (clash.isPresent()) {
        String what = c.origin() + ": its filter chain match repeats that of " + clash.get().origin() + " on " + name;
        log.warn("{}: skipping {}", in.proxy().id(), what);
        skipped.add(what);
        continue;
      }
      kept.add(c);
    }
    if (kept.isEmpty()) {
      String what = "listener " + name + ": no server on it has a usable filter chain";
      log.warn("{}: omitting {}", in.proxy().id(), what);
      skipped.add(what);
      return Optional.empty();
    }
    Listener.Builder l = Listener.newBuilder()
        .setName(name)
        .setAddress(Addresses.socket(d.bind(), d.port()))
        .setTrafficDirection(TrafficDirection.OUTBOUND);
    if (kept.stream().anyMatch(GatewayChain::needsTlsInspector)) {
      l.addListenerFilters(Filters.tlsInspector());
    }
    kept.forEach(c -> l.addFilterChains(c.render()));
    return Optional.of(l.build());
  }
}
