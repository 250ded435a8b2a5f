package dev.istiod.xds.core.gateway;

import dev.istiod.api.networking.v1alpha3.Server;
import dev.istiod.api.networking.v1alpha3.ServerTLSSettings.TLSmode;
import dev.istiod.model.Protocol;
import dev.istiod.xds.core.EnvoyNames;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * What kind of server a Gateway {@link Server} is, as upstream's {@code pkg/config/gateway}
 * predicates decide it, and the names derived from a server (its SNI hosts and RDS name).
 * A server "has TLS" when its {@code tls} block is present, even if that block only asks for
 * {@code httpsRedirect}.
 */
final class GatewayServers {
  private GatewayServers() {}

  static Protocol protocol(Server s) {
    return Protocol.parse(s.getPort().getProtocol());
  }

  /** Non-HTTP with TLS settings (termination or passthrough); an HTTP redirect-only server is not. */
  static boolean isTlsServer(Server s) {
    return s.hasTls() && !protocol(s).isHttp();
  }

  /** TLS passthrough, by SNI (PASSTHROUGH) or by SNI-DNAT cluster name (AUTO_PASSTHROUGH). */
  static boolean isPassthrough(Server s) {
    return s.hasTls() && (s.getTls().getMode() == TLSmode.PASSTHROUGH || s.getTls().getMode() == TLSmode.AUTO_PASSTHROUGH);
  }

  /** HTTPS whose TLS the gateway terminates (SIMPLE, MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL). */
  static boolean isHttpsTerminating(Server s) {
    return s.hasTls() && protocol(s) == Protocol.HTTPS && !isPassthrough(s);
  }

  /** Served by an HTTP connection manager: plain HTTP, or HTTPS terminated here. */
  static boolean isHttpServer(Server s) {
    Protocol p = protocol(s);
    return p.isHttp() || (p == Protocol.HTTPS && !isPassthrough(s));
  }

  /** A non-HTTP(S) server whose TLS the gateway terminates (e.g. protocol TLS, mode SIMPLE). */
  static boolean isTcpTerminating(Server s) {
    Protocol p = protocol(s);
    return !isPassthrough(s) && !p.isHttp() && p != Protocol.HTTPS;
  }

  /**
   * Upstream's {@code sanitizeServerHostNamespace}: {@code ./host} becomes
   * {@code <namespace>/host}, {@code *}{@code /host} becomes {@code host}, and {@code *}{@code /*}
   * makes the server match every host.
   */
  static Server sanitizeHosts(Server s, String namespace) {
    if (s.getHostsList().stream().noneMatch(h -> h.contains("/"))) {
      return s;
    }
    List<String> hosts = new ArrayList<>();
    for (String h : s.getHostsList()) {
      int slash = h.indexOf('/');
      if (slash < 0) {
        hosts.add(h);
        continue;
      }
      String ns = h.substring(0, slash);
      String name = h.substring(slash + 1);
      if (ns.equals(".")) {
        hosts.add(namespace + "/" + name);
      } else if (ns.equals("*")) {
        if (name.equals("*")) {
          return s.toBuilder().clearHosts().addHosts("*").build();
        }
        hosts.add(name);
      } else {
        hosts.add(h);
      }
    }
    return s.toBuilder().clearHosts().addAllHosts(hosts).build();
  }

  /** The server's hosts without namespace qualifiers, deduplicated and sorted: its SNI matches. */
  static List<String> sniHosts(Server s) {
    if (!s.hasTls()) {
      return List.of();
    }
    TreeSet<String> out = new TreeSet<>();
    for (String h : s.getHostsList()) {
      int slash = h.indexOf('/');
      out.add(slash < 0 ? h : h.substring(slash + 1));
    }
    return List.copyOf(out);
  }

  /**
   * Upstream's {@code gatewayRDSRouteName}: {@code http.<port>} for HTTP servers (all sharing the
   * port share it), {@code https.<port>.<portName>.<gateway>.<namespace>} for terminated HTTPS, and
   * empty for servers without routes (TCP, TLS, passthrough).
   */
  static String routeName(Server s, int resolvedPort, String gatewayName, String gatewayNamespace) {
    Protocol p = protocol(s);
    if (p.isHttp()) {
      return EnvoyNames.gatewayHttpRouteConfig(resolvedPort, s.getBind());
    }
    if (p == Protocol.HTTPS && !isPassthrough(s)) {
      return EnvoyNames.gatewayHttpsRouteConfig(s.getPort().getNumber(), s.getPort().getName(), gatewayName,
          gatewayNamespace, s.getBind());
    }
    return "";
  }
}
