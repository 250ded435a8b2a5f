package dev.istiod.xds.core;

import java.util.Optional;

/**
 * The one home of every resource name Envoy sees from istiod: cluster, listener, filter chain,
 * route configuration and virtual host names, and stat prefixes. They are facts of Istio's wire
 * format (ISTIO-COMPAT §4) that istioctl, dashboards and users' EnvoyFilters rely on, so nothing
 * else in the code base spells them.
 */
public final class EnvoyNames {
  /** Catches traffic to routes whose cluster is unresolved; goes nowhere. */
  public static final String BLACK_HOLE_CLUSTER = "BlackHoleCluster";
  /** Sends traffic to the original destination (ALLOW_ANY outbound). */
  public static final String PASSTHROUGH_CLUSTER = "PassthroughCluster";
  /** Inbound traffic to ports no service declares (Istio 1.23+ name). */
  public static final String INBOUND_PASSTHROUGH_CLUSTER = "InboundPassthroughCluster";

  /** The listener iptables redirects outbound traffic to (mesh {@code proxyListenPort}). */
  public static final String VIRTUAL_OUTBOUND_LISTENER = "virtualOutbound";
  /** The listener iptables redirects inbound traffic to (mesh {@code proxyInboundListenPort}). */
  public static final String VIRTUAL_INBOUND_LISTENER = "virtualInbound";

  /** Filter chain names of the virtual and per-port listeners. */
  public static final String PASSTHROUGH_FILTER_CHAIN = "PassthroughFilterChain";
  public static final String VIRTUAL_OUTBOUND_CATCH_ALL_TCP_CHAIN = "virtualOutbound-catchall-tcp";
  public static final String VIRTUAL_OUTBOUND_BLACKHOLE_CHAIN = "virtualOutbound-blackhole";
  public static final String VIRTUAL_INBOUND_CATCH_ALL_HTTP_CHAIN = "virtualInbound-catchall-http";
  public static final String VIRTUAL_INBOUND_BLACKHOLE_CHAIN = "virtualInbound-blackhole";

  /** Catch-all virtual hosts (and their single route) per outbound traffic policy. */
  public static final String ALLOW_ANY_VIRTUAL_HOST = "allow_any";
  public static final String BLOCK_ALL_VIRTUAL_HOST = "block_all";

  /** Name of the route generated for a service without a VirtualService. */
  public static final String DEFAULT_ROUTE = "default";

  /** The separator of {@link #sniDnatCluster} names. */
  private static final String SNI_DNAT_SEPARATOR = "_.";

  /** SDS resource names of the workload certificate and trust bundle the agent serves. */
  public static final String SDS_WORKLOAD_CERTIFICATE = "default";
  public static final String SDS_ROOT_CA = "ROOTCA";
  /** Bootstrap cluster of the agent's SDS server (ISTIO-COMPAT §4). */
  public static final String SDS_AGENT_CLUSTER = "sds-grpc";
  /** Typed credential references kept as written (upstream's {@code credentials.ToResourceName}). */
  private static final java.util.List<String> TYPED_CREDENTIAL_PREFIXES =
      java.util.List.of("kubernetes://", "kubernetes-gateway://", "configmap://");

  /** Traffic direction part of cluster names. */
  public enum Direction {
    INBOUND("inbound"), OUTBOUND("outbound");

    private final String value;

    Direction(String value) {
      this.value = value;
    }

    public String value() {
      return value;
    }
  }

  /**
   * The parts of a cluster name {@code direction|port|subset|host}.
   *
   * @param host empty for inbound clusters
   */
  public record SubsetKey(Direction direction, int port, String subset, String host) {}

  private EnvoyNames() {}

  /** {@code outbound|<port>|<subset>|<host>}; the subset is empty for the service's own cluster. */
  public static String outboundCluster(int port, String subset, String host) {
    return Direction.OUTBOUND.value + "|" + port + "|" + subset + "|" + host;
  }

  /** {@code inbound|<port>||}: the workload port a sidecar forwards inbound traffic to. */
  public static String inboundCluster(int port) {
    return Direction.INBOUND.value + "|" + port + "||";
  }

  /**
   * The SNI-DNAT form of an outbound cluster, {@code outbound_.<port>_.<subset>_.<host>}: the
   * name AUTO_PASSTHROUGH gateways route on (it is also the SNI Istio mTLS clients send).
   */
  public static String sniDnatCluster(int port, String subset, String host) {
    return Direction.OUTBOUND.value + SNI_DNAT_SEPARATOR + port + SNI_DNAT_SEPARATOR + subset + SNI_DNAT_SEPARATOR + host;
  }

  /**
   * Parses a cluster name built by {@link #outboundCluster}, {@link #inboundCluster} or
   * {@link #sniDnatCluster}, as upstream's {@code ParseSubsetKey}.
   */
  public static Optional<SubsetKey> parseCluster(String name) {
    boolean sniDnat = name.startsWith(Direction.OUTBOUND.value + SNI_DNAT_SEPARATOR)
        || name.startsWith(Direction.INBOUND.value + SNI_DNAT_SEPARATOR);
    String[] parts = sniDnat ? splitSniDnat(name) : name.split("\\|", -1);
    if (parts.length != 4) {
      return Optional.empty();
    }
    Direction d = switch (parts[0]) {
      case "outbound" -> Direction.OUTBOUND;
      case "inbound" -> Direction.INBOUND;
      default -> null;
    };
    if (d == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(new SubsetKey(d, Integer.parseInt(parts[1]), parts[2], parts[3]));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** A listener bound to (or matching) an address and port: {@code <address>_<port>}. */
  public static String listener(String address, int port) {
    return address + "_" + port;
  }

  /** Outbound HTTP route configuration shared by all services on a port: {@code "<port>"}. */
  public static String outboundRouteConfig(int port) {
    return Integer.toString(port);
  }

  /**
   * The route configuration of a sniffed service's own listener ({@code <VIP>_<port>}):
   * {@code "<host>:<port>"}, holding only that service's virtual host.
   */
  public static String sniffedRouteConfig(String host, int port) {
    return hostPort(host, port);
  }

  /** Stat prefix of a TCP proxy splitting by weight: the VirtualService, {@code <name>.<namespace>}. */
  public static String weightedTcpStatPrefix(String virtualServiceName, String namespace) {
    return virtualServiceName + "." + namespace;
  }

  /** Parses a route configuration name from {@link #outboundRouteConfig}, or empty. */
  public static Optional<Integer> parseOutboundRouteConfig(String name) {
    try {
      return Optional.of(Integer.parseInt(name));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** The inline route configuration of an inbound HTTP chain: named like its cluster. */
  public static String inboundRouteConfig(int port) {
    return inboundCluster(port);
  }

  /** Virtual host of an inbound route configuration: {@code inbound|http|<port>}. */
  public static String inboundVirtualHost(int port) {
    return "inbound|http|" + port;
  }

  /** Virtual host (and domain form) of a host on a port: {@code <host>:<port>}. */
  public static String hostPort(String host, int port) {
    return host + ":" + port;
  }

  /**
   * Stat prefixes end with {@code ;} so Istio's stats tag extraction can find where the prefix
   * stops; {@code alt_stat_name} of clusters uses the same form.
   */
  public static String delimitedStatPrefix(String prefix) {
    return prefix + ";";
  }

  /** HCM stat prefix of an outbound listener: {@code outbound_<listener>;}. */
  public static String outboundHttpStatPrefix(String listenerName) {
    return delimitedStatPrefix("outbound_" + listenerName);
  }

  /** HCM stat prefix of an inbound chain: {@code inbound_<bind>_<port>;}. */
  public static String inboundHttpStatPrefix(String bind, int port) {
    return delimitedStatPrefix("inbound_" + listener(bind, port));
  }

  /** Decorator operation of a route to one cluster: {@code <host>:<port><path>}. */
  public static String routeOperation(String hostOrName, int port, String path) {
    return hostOrName + ":" + port + path;
  }

  /** Splits {@code dir_.port_.subset_.host} into four parts; the host may itself contain "_.". */
  private static String[] splitSniDnat(String name) {
    String[] out = new String[4];
    int from = 0;
    for (int i = 0; i < 3; i++) {
      int at = name.indexOf(SNI_DNAT_SEPARATOR, from);
      if (at < 0) {
        return new String[0];
      }
      out[i] = name.substring(from, at);
      from = at + SNI_DNAT_SEPARATOR.length();
    }
    out[3] = name.substring(from);
    return out;
  }

  /**
   * RDS name of a gateway's plain-text HTTP servers on a port: {@code http.<port>}, with
   * {@code .<bind>} when the servers bind one address.
   */
  public static String gatewayHttpRouteConfig(int port, String bind) {
    return "http." + port + (bind.isEmpty() ? "" : "." + bind);
  }

  /**
   * RDS name of one TLS-terminating HTTPS server:
   * {@code https.<port>.<portName>.<gatewayName>.<gatewayNamespace>[.<bind>]}.
   */
  public static String gatewayHttpsRouteConfig(int port, String portName, String gatewayName, String gatewayNamespace,
      String bind) {
    return "https." + port + "." + portName + "." + gatewayName + "." + gatewayNamespace
        + (bind.isEmpty() ? "" : "." + bind);
  }

  /** The virtual host of a gateway route configuration with no host bound: every request gets 404. */
  public static String gatewayBlackHoleVirtualHost(int port) {
    return hostPort("blackhole", port);
  }

  /**
   * SDS resource name of a gateway {@code credentialName}: {@code kubernetes://<name>}, unless
   * the name already says its type; {@code builtin://} means the workload certificate.
   */
  public static String credentialSecret(String credentialName) {
    if (credentialName.startsWith("builtin://")) {
      return SDS_WORKLOAD_CERTIFICATE;
    }
    return TYPED_CREDENTIAL_PREFIXES.stream().anyMatch(credentialName::startsWith)
        ? credentialName : "kubernetes://" + credentialName;
  }

  /** SDS resource name of the CA bundle that goes with a credential: {@code <secret>-cacert}. */
  public static String credentialCaSecret(String credentialName) {
    if (credentialName.startsWith("builtin://")) {
      return SDS_ROOT_CA;
    }
    return credentialSecret(credentialName) + "-cacert";
  }
}
