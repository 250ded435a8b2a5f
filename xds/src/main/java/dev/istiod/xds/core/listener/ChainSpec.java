package dev.istiod.xds.core.listener;

import com.google.protobuf.UInt32Value;
import dev.istiod.xds.core.Addresses;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One filter chain of a listener before it is rendered: what it matches and what it runs
 * (either an HTTP connection manager fetching {@code rds}, or network filters). Comparing specs'
 * matches is how conflicting services on one listener are detected, as upstream's
 * {@code filterChainOpts}.
 *
 * @param rds route configuration name of an HTTP chain; null for a network (TCP) chain
 */
record ChainSpec(List<String> serverNames, List<String> destinationCidrs, List<String> applicationProtocols,
    String transportProtocol, int destinationPort, String rds, List<Filter> networkFilters) {

  ChainSpec {
    serverNames = List.copyOf(serverNames);
    destinationCidrs = List.copyOf(destinationCidrs);
    applicationProtocols = List.copyOf(applicationProtocols);
    transportProtocol = transportProtocol == null ? "" : transportProtocol;
    networkFilters = List.copyOf(networkFilters);
  }

  static ChainSpec http(String rds) {
    return new ChainSpec(List.of(), List.of(), List.of(), "", 0, rds, List.of());
  }

  static ChainSpec tcp(List<String> serverNames, List<String> cidrs, List<Filter> filters) {
    return new ChainSpec(serverNames, cidrs, List.of(), "", 0, null, filters);
  }

  ChainSpec withApplicationProtocols(List<String> protocols, String transport) {
    return new ChainSpec(serverNames, destinationCidrs, protocols, transport, destinationPort, rds, networkFilters);
  }

  boolean isHttp() {
    return rds != null;
  }

  boolean isMatchAll() {
    return (serverNames.isEmpty() || serverNames.contains("*")) && applicationProtocols.isEmpty()
        && transportProtocol.isEmpty() && destinationCidrs.isEmpty() && destinationPort == 0;
  }

  /** Same match conditions: Envoy rejects a listener with two such chains. */
  boolean conflictsWith(ChainSpec o) {
    return transportProtocol.equals(o.transportProtocol)
        && applicationProtocols.equals(o.applicationProtocols)
        && destinationPort == o.destinationPort
        && sni(serverNames).equals(sni(o.serverNames))
        && cidrs(destinationCidrs).equals(cidrs(o.destinationCidrs));
  }

  private static Set<String> sni(List<String> names) {
    Set<String> s = new HashSet<>(names);
    s.remove("*");
    return s;
  }

  private static Set<String> cidrs(List<String> cidrs) {
    Set<String> s = new HashSet<>();
    for (String c : cidrs) {
      if (!c.equals("*") && !c.startsWith("0.0.0.0")) {
        s.add(c);
      }
    }
    return s;
  }

  FilterChainMatch toMatch() {
    FilterChainMatch.Builder m = FilterChainMatch.newBuilder()
        .addAllApplicationProtocols(applicationProtocols)
        .setTransportProtocol(transportProtocol);
    if (destinationPort > 0) {
      m.setDestinationPort(UInt32Value.of(destinationPort));
    }
    if (!serverNames.isEmpty() && !serverNames.contains("*")) {
      m.addAllServerNames(serverNames.stream().sorted().toList());
    }
    destinationCidrs.stream().sorted().filter(c -> !c.startsWith("0.0.0.0"))
        .forEach(c -> m.addPrefixRanges(Addresses.cidr(c)));
    return m.build();
  }
}
