package dev.istiod.xds.grpcgen;

import dev.istiod.model.Proxy;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The listener names a proxyless gRPC client asked for, indexed the way the LDS generator
 * looks them up.
 *
 * <p>gRPC names a client listener after the target's authority, {@code host[:port]}, exactly as
 * the application wrote it, so {@code echo:7070}, {@code echo.default:7070} and
 * {@code echo.default.svc.cluster.local:7070} are three different listeners for one service. As
 * upstream does, each requested host is indexed both as written and as the FQDN it expands to
 * from the proxy's DNS domain; the generator then emits one listener per requested spelling, named
 * as requested. Server-side listeners ({@value #INBOUND_PREFIX}{@code <ip>:<port>}) are kept apart.
 *
 * @param byHost requested host, and the FQDN it expands to, → what was asked for it
 * @param inbound the requested server-side listener names
 * @param wildcard true when no name was given: every service, every port, named by FQDN
 */
record ListenerNames(Map<String, Requested> byHost, Set<String> inbound, boolean wildcard) {

  /** Upstream's template for gRPC server listeners ({@code grpcxds.ServerListenerNamePrefix}). */
  static final String INBOUND_PREFIX = "xds.istio.io/grpc/lds/inbound/";

  ListenerNames {
    byHost = Map.copyOf(byHost);
    inbound = Set.copyOf(inbound);
  }

  /**
   * What was requested for one host.
   *
   * @param spellings the host names as the client wrote them (each yields its own listener)
   * @param ports the ports asked for; empty means every port of the service
   */
  record Requested(Set<String> spellings, Set<Integer> ports) {
    Requested {
      spellings = Set.copyOf(spellings);
      ports = Set.copyOf(ports);
    }

    boolean includesPort(int port) {
      return ports.isEmpty() || ports.contains(port);
    }
  }

  static ListenerNames parse(Collection<String> names, Proxy proxy) {
    if (names.isEmpty()) {
      return new ListenerNames(Map.of(), Set.of(), true);
    }
    Map<String, Builder> hosts = new TreeMap<>();
    Set<String> inbound = new TreeSet<>();
    for (String name : names) {
      if (name.startsWith(INBOUND_PREFIX)) {
        inbound.add(name);
        continue;
      }
      Optional<HostPort> hp = HostPort.parse(name);
      String requested = hp.map(HostPort::host).orElse(name);
      Integer port = hp.map(HostPort::port).orElse(null);
      for (String key : expansions(requested, proxy)) {
        Builder b = hosts.computeIfAbsent(key, k -> new Builder());
        b.spellings.add(requested);
        if (port == null) {
          b.allPorts = true;
        } else {
          b.ports.add(port);
        }
      }
    }
    Map<String, Requested> byHost = new TreeMap<>();
    hosts.forEach((host, b) -> byHost.put(host, new Requested(b.spellings, b.allPorts ? Set.of() : b.ports)));
    return new ListenerNames(byHost, inbound, false);
  }

  /** What was asked for a service's hostname, or empty when the client did not ask for it. */
  Optional<Requested> lookup(String serviceHost) {
    if (wildcard) {
      return Optional.of(new Requested(Set.of(serviceHost), Set.of()));
    }
    return Optional.ofNullable(byHost.get(serviceHost));
  }

  /** The requested host itself and, when it is a short name, the FQDN it stands for. */
  private static List<String> expansions(String requested, Proxy proxy) {
    return fqdnFor(requested, proxy)
        .filter(fqdn -> !fqdn.equals(requested))
        .map(fqdn -> List.of(requested, fqdn))
        .orElse(List.of(requested));
  }

  /**
   * Expands a short name as upstream's grpcgen does: a name without dots is
   * {@code <name>.<dnsDomain>}; {@code <name>.<ns>} and {@code <name>.<ns>.svc} expand only for the
   * proxy's own namespace, whose DNS domain starts with that suffix.
   */
  static Optional<String> fqdnFor(String name, Proxy proxy) {
    String domain = proxy.dnsDomain();
    if (domain.isEmpty()) {
      return Optional.empty();
    }
    if (!name.contains(".")) {
      return Optional.of(name + "." + domain);
    }
    String ns = proxy.configNamespace();
    if (ns.isEmpty()) {
      return Optional.empty();
    }
    for (String suffix : List.of(ns, ns + ".svc")) {
      if (name.endsWith("." + suffix) && domain.startsWith(suffix)) {
        String shortName = name.substring(0, name.length() - suffix.length() - 1);
        return Optional.of(shortName + "." + domain);
      }
    }
    return Optional.empty();
  }

  private static final class Builder {
    final Set<String> spellings = new TreeSet<>();
    final Set<Integer> ports = new TreeSet<>();
    boolean allPorts;
  }
}
