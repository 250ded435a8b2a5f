package dev.istiod.xds.core.gateway;

import dev.istiod.api.networking.v1alpha3.Gateway;
import dev.istiod.api.networking.v1alpha3.Server;
import dev.istiod.api.networking.v1alpha3.ServerTLSSettings.TLSmode;
import dev.istiod.model.Config;
import dev.istiod.model.Protocol;
import dev.istiod.model.ServiceTarget;
import dev.istiod.xds.core.gateway.MergedGateway.BoundServer;
import dev.istiod.xds.core.gateway.MergedGateway.PortServers;
import dev.istiod.xds.core.gateway.MergedGateway.ServerPort;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merges the Gateways a proxy serves into one {@link MergedGateway}, with upstream's rules
 * ({@code model.mergeGateways}), oldest Gateway first:
 * <ul>
 *   <li>A server's port is translated to the target port of the proxy's own service on that port
 *       (the legacy selector behaviour); without such a service it is used as written.</li>
 *   <li>Plain-text HTTP servers on one port and bind share a listener and the RDS
 *       {@code http.<port>}; a non-HTTP plain-text server cannot share a port.</li>
 *   <li>TLS servers on one port share a listener and are told apart by SNI, so two TLS servers
 *       may not claim one host on one bind; terminated HTTPS servers each get their own RDS.</li>
 *   <li>Anything else on a taken port is dropped and reported.</li>
 * </ul>
 * QUIC/HTTP3 listeners ({@code PILOT_ENABLE_QUIC_LISTENERS}, off by default upstream) are not built.
 */
final class GatewayMerger {
  private static final Logger log = LoggerFactory.getLogger(GatewayMerger.class);
  /** A Service label that opts out of translating gateway ports to target ports (Knative). */
  static final String DISABLE_PORT_TRANSLATION_LABEL = "experimental.istio.io/disable-gateway-port-translation";

  private final Set<Integer> gatewayPorts = new HashSet<>();
  private final Map<Integer, Set<String>> nonPlainTextBinds = new HashMap<>();
  private final Map<ServerPort, PortBuilder> merged = new LinkedHashMap<>();
  private final Map<Integer, ServerPort> plainTextServers = new HashMap<>();
  private final Map<String, List<BoundServer>> serversByRouteName = new LinkedHashMap<>();
  private final Map<Integer, Map<String, String>> tlsHostsByPort = new HashMap<>();
  private final List<String> rejected = new ArrayList<>();
  private boolean autoPassthrough;

  /** Mutable while merging; frozen into a {@link PortServers}. */
  private static final class PortBuilder {
    final ServerPort port;
    final List<BoundServer> servers = new ArrayList<>();
    String routeName;

    PortBuilder(ServerPort port, BoundServer first, String routeName) {
      this.port = port;
      this.servers.add(first);
      this.routeName = routeName;
    }
  }

  private GatewayMerger() {}

  /** Merges {@code gateways} (oldest first) for a proxy implementing {@code targets}. */
  static MergedGateway merge(List<Config> gateways, List<ServiceTarget> targets) {
    if (gateways.isEmpty()) {
      return MergedGateway.EMPTY;
    }
    GatewayMerger m = new GatewayMerger();
    for (Config gw : gateways) {
      m.addGateway(gw, targets);
    }
    return m.build();
  }

  private void addGateway(Config gw, List<ServiceTarget> targets) {
    String gatewayName = gw.namespace() + "/" + gw.name();
    Set<String> names = new HashSet<>();
    for (Server raw : gw.spec(Gateway.class).getServersList()) {
      if (!raw.getName().isEmpty() && !names.add(raw.getName())) {
        log.warn("Server name {} is not unique in gateway {}; stat prefixes may collide", raw.getName(), gatewayName);
      }
      if (!raw.hasPort()) {
        reject(gatewayName, raw, "server without port");
        continue;
      }
      Server s = GatewayServers.sanitizeHosts(raw, gw.namespace());
      int port = resolvePort(s.getPort().getNumber(), targets);
      String routeName = GatewayServers.routeName(s, port, gw.name(), gw.namespace());
      addServer(new BoundServer(s, gatewayName, routeName, GatewayServers.sniHosts(s)), port);
    }
  }

  /**
   * Upstream's {@code resolvePorts} for label-selected gateways: the target port of the first of
   * the proxy's services exposing this port, else the port itself.
   */
  static int resolvePort(int number, List<ServiceTarget> targets) {
    for (ServiceTarget t : targets) {
      if (t.service().labels().containsKey(DISABLE_PORT_TRANSLATION_LABEL)) {
        continue;
      }
      if (t.port().port() == number) {
        return t.targetPort() > 0 ? t.targetPort() : t.port().effectiveTargetPort();
      }
    }
    return number;
  }

  private void addServer(BoundServer b, int port) {
    Server s = b.server();
    if (s.hasTls()) {
      List<String> duplicates = duplicates(s.getHostsList(), s.getBind(),
          tlsHostsByPort.computeIfAbsent(port, k -> new HashMap<>()));
      if (!duplicates.isEmpty()) {
        reject(b.gatewayName(), s, "duplicate host names " + duplicates + " on port " + port);
        return;
      }
      if (s.getTls().getMode() == TLSmode.AUTO_PASSTHROUGH) {
        autoPassthrough = true;
      }
    }
    ServerPort serverPort = new ServerPort(port, s.getPort().getProtocol(), s.getBind());
    if (!gatewayPorts.add(port)) {
      addToTakenPort(b, serverPort);
      return;
    }
    addPlainText(b, serverPort);
  }

  /** A second server on a port: merge as plain-text HTTP, as another TLS server, or drop it. */
  private void addToTakenPort(BoundServer b, ServerPort serverPort) {
    Server s = b.server();
    int port = serverPort.number();
    String routeName = b.routeName();
    ServerPort current = plainTextServers.get(port);
    if (current != null) {
      boolean sameBind = current.bind().equals(serverPort.bind());
      if (!canMerge(GatewayServers.protocol(s), Protocol.parse(current.protocol())) && sameBind) {
        reject(b.gatewayName(), s, "conflicts with the " + current.protocol() + " server on port " + port);
        return;
      }
      if (routeName.isEmpty() && sameBind) {
        reject(b.gatewayName(), s, "no route name for a server sharing port " + port);
        return;
      }
      if (!sameBind) {
        PortBuilder existing = merged.get(serverPort);
        if (existing == null) {
          addPlainText(b, serverPort);
        } else {
          existing.routeName = routeName;
          existing.servers.add(b);
          serversByRouteName.computeIfAbsent(routeName, k -> new ArrayList<>()).add(b);
        }
      } else {
        merged.get(current).servers.add(b);
        serversByRouteName.computeIfAbsent(routeName, k -> new ArrayList<>()).add(b);
      }
      return;
    }
    if (!GatewayServers.isTlsServer(s)) {
      plainTextServers.put(port, serverPort);
      if (GatewayServers.isHttpServer(s)) {
        serversByRouteName.put(routeName, new ArrayList<>(List.of(b)));
      }
      newPort(serverPort, b, routeName);
      return;
    }
    if (GatewayServers.isHttpServer(s)) {
      if (routeName.isEmpty()) {
        reject(b.gatewayName(), s, "no route name for an HTTPS server on port " + port);
        return;
      }
      if (serversByRouteName.containsKey(routeName)) {
        reject(b.gatewayName(), s, "HTTPS port name " + s.getPort().getName() + " is not unique on port " + port);
        return;
      }
      serversByRouteName.put(routeName, new ArrayList<>(List.of(b)));
    }
    boolean newBind = nonPlainTextBinds.computeIfAbsent(port, k -> new HashSet<>()).add(serverPort.bind());
    if (!s.hasTls() && !newBind) {
      reject(b.gatewayName(), s, "a server without TLS settings cannot share TLS port " + port);
      return;
    }
    PortBuilder existing = merged.get(serverPort);
    if (existing == null) {
      newPort(serverPort, b, "");
    } else {
      existing.servers.add(b);
    }
  }

  /** Upstream's {@code addPlainTextServer}: the first server on a port (plain text or not). */
  private void addPlainText(BoundServer b, ServerPort serverPort) {
    Server s = b.server();
    if (!GatewayServers.isTlsServer(s)) {
      plainTextServers.put(serverPort.number(), serverPort);
    }
    if (GatewayServers.isHttpServer(s)) {
      serversByRouteName.put(b.routeName(), new ArrayList<>(List.of(b)));
    }
    newPort(serverPort, b, b.routeName());
  }

  private void newPort(ServerPort port, BoundServer first, String routeName) {
    merged.put(port, new PortBuilder(port, first, routeName));
  }

  /** Plain-text servers merge only if both are HTTP (or the same protocol, then HTTP). */
  static boolean canMerge(Protocol current, Protocol incoming) {
    return (current.isHttp() || current == incoming) && incoming.isHttp();
  }

  /** Upstream's {@code CheckDuplicates}: hosts already claimed on this bind; records them if none are. */
  static List<String> duplicates(List<String> hosts, String bind, Map<String, String> known) {
    List<String> out = new ArrayList<>();
    for (String h : hosts) {
      String existingBind = known.get(h);
      if (existingBind != null && existingBind.equals(bind)) {
        out.add(h);
      }
    }
    if (out.isEmpty()) {
      hosts.forEach(h -> known.put(h, bind));
    }
    return out;
  }

  private void reject(String gatewayName, Server s, String why) {
    String what = "gateway " + gatewayName + " server " + (s.getName().isEmpty() ? "" : s.getName() + " ")
        + "port " + s.getPort().getNumber() + "/" + s.getPort().getProtocol() + ": " + why;
    log.warn("skipping {}", what);
    rejected.add(what);
  }

  private MergedGateway build() {
    List<PortServers> ports = new ArrayList<>();
    Set<String> autoHosts = new TreeSet<>();
    for (PortBuilder p : merged.values()) {
      ports.add(new PortServers(p.port, p.servers, p.routeName));
      if (autoPassthrough) {
        p.servers.stream().filter(b -> b.server().getTls().getMode() == TLSmode.AUTO_PASSTHROUGH && b.server().hasTls())
            .forEach(b -> autoHosts.addAll(b.server().getHostsList()));
      }
    }
    return new MergedGateway(ports, serversByRouteName, autoPassthrough, autoHosts, rejected);
  }
}
