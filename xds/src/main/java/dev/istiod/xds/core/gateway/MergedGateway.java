package dev.istiod.xds.core.gateway;

import dev.istiod.api.networking.v1alpha3.Server;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Every Gateway server one gateway proxy serves, merged per listening port as upstream's
 * {@code MergedGateway}: which servers share a listener ({@link #ports}), which servers a route
 * configuration serves ({@link #serversByRouteName}), and whether AUTO_PASSTHROUGH needs the
 * SNI-DNAT clusters. Servers dropped while merging (port conflicts, duplicate TLS hosts) are
 * listed in {@link #rejected} so generators can report them.
 *
 * @param ports the listening ports in the order their first server appeared
 * @param serversByRouteName RDS name to the servers whose virtual hosts it carries
 * @param autoPassthroughHosts every host of an AUTO_PASSTHROUGH server (empty if none)
 * @param rejected why each dropped server was dropped, for logs and generation summaries
 */
public record MergedGateway(List<PortServers> ports, Map<String, List<BoundServer>> serversByRouteName,
    boolean autoPassthrough, Set<String> autoPassthroughHosts, List<String> rejected) {

  static final MergedGateway EMPTY = new MergedGateway(List.of(), Map.of(), false, Set.of(), List.of());

  public MergedGateway {
    ports = List.copyOf(ports);
    Map<String, List<BoundServer>> copy = new LinkedHashMap<>();
    serversByRouteName.forEach((k, v) -> copy.put(k, List.copyOf(v)));
    serversByRouteName = java.util.Collections.unmodifiableMap(copy);
    autoPassthroughHosts = Set.copyOf(autoPassthroughHosts);
    rejected = List.copyOf(rejected);
  }

  /** The names of the Gateways ({@code namespace/name}) that contributed a server. */
  public Set<String> gatewayNames() {
    Set<String> out = new java.util.TreeSet<>();
    ports.forEach(p -> p.servers().forEach(s -> out.add(s.gatewayName())));
    return out;
  }

  public Optional<List<BoundServer>> serversForRoute(String routeName) {
    return Optional.ofNullable(serversByRouteName.get(routeName));
  }

  /**
   * A listening port: number (after target-port translation), the protocol of its first server,
   * and the bind address ({@code ""} = the proxy's wildcard address).
   */
  public record ServerPort(int number, String protocol, String bind) {
    public ServerPort {
      Objects.requireNonNull(protocol, "protocol");
      bind = bind == null ? "" : bind;
    }
  }

  /**
   * The servers one listener serves.
   *
   * @param routeName the shared RDS name of plain-text HTTP servers; empty otherwise (terminated
   *     HTTPS servers carry their own in {@link BoundServer#routeName})
   */
  public record PortServers(ServerPort port, List<BoundServer> servers, String routeName) {
    public PortServers {
      servers = List.copyOf(servers);
      routeName = routeName == null ? "" : routeName;
    }
  }

  /**
   * One server with what it takes from its Gateway.
   *
   * @param server the server, hosts sanitized ({@code ./h} → {@code ns/h})
   * @param gatewayName {@code namespace/name} of the Gateway, as VirtualServices bind to it
   * @param routeName the server's own RDS name (empty for non-HTTP servers)
   * @param sniHosts the SNI names a TLS server matches (empty without TLS)
   */
  public record BoundServer(Server server, String gatewayName, String routeName, List<String> sniHosts) {
    public BoundServer {
      Objects.requireNonNull(server, "server");
      Objects.requireNonNull(gatewayName, "gatewayName");
      routeName = routeName == null ? "" : routeName;
      sniHosts = List.copyOf(sniHosts);
    }

    public int port() {
      return server.getPort().getNumber();
    }
  }
}
