package dev.istiod.xds.core.listener;

import com.google.protobuf.UInt32Value;
import dev.istiod.model.Protocol;
import dev.istiod.xds.core.Addresses;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One filter chain of a listener before it is rendered, as upstream's {@code filterChainOpts}:
 * what it matches (SNI, destination CIDRs, detected application protocol, transport) and what it
 * runs (either an HTTP connection manager fetching {@code rds}, or network filters). Comparing
 * specs' matches is how conflicting services on one listener are detected.
 *
 * @param rds route configuration name of an HTTP chain; null for a network (TCP) chain
 * @param httpProtocol the port protocol an HTTP chain serves (shapes the connection manager)
 * @param metadata the {@code istio} filter metadata naming the config that shaped the chain, or
 *     the default instance
 */
record ChainSpec(List<String> serverNames, List<String> destinationCidrs, List<String> applicationProtocols,
    String transportProtocol, int destinationPort, String rds, Protocol httpProtocol, List<Filter> networkFilters,
    Metadata metadata) {

  ChainSpec {
    serverNames = List.copyOf(serverNames);
    destinationCidrs = List.copyOf(destinationCidrs);
    applicationProtocols = List.copyOf(applicationProtocols);
    transportProtocol = transportProtocol == null ? "" : transportProtocol;
    httpProtocol = httpProtocol == null ? Protocol.HTTP : httpProtocol;
    networkFilters = List.copyOf(networkFilters);
    metadata = metadata == null ? Metadata.getDefaultInstance() : metadata;
  }

  static ChainSpec http(String rds, Protocol protocol) {
    return new ChainSpec(List.of(), List.of(), List.of(), "", 0, rds, protocol, List.of(), null);
  }

  static ChainSpec tcp(List<String> serverNames, List<String> cidrs, List<Filter> filters, Metadata metadata) {
    return new ChainSpec(serverNames, cidrs, List.of(), "", 0, null, null, filters, metadata);
  }

  ChainSpec withApplicationProtocols(List<String> protocols, String transport) {
    return new ChainSpec(serverNames, destinationCidrs, protocols, transport, destinationPort, rds, httpProtocol,
        networkFilters, metadata);
  }

  boolean isHttp() {
    return rds != null;
  }

  /** True when the chain matches every connection (it becomes the listener's default chain). */
  boolean isMatchAll() {
    return (serverNames.isEmpty() || serverNames.contains("*")) && applicationProtocols.isEmpty()
        && transportProtocol.isEmpty() && destinationCidrs.isEmpty() && destinationPort == 0;
  }

  /**
   * Same match conditions: Envoy rejects a listener with two such chains. SNI order and {@code *}
   * entries do not matter; CIDRs compare by their masked prefix ({@code 10.1.2.3/8} is
   * {@code 10.0.0.0/8}), and the unspecified address matches like no CIDR at all.
   */
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
      Cidrs.masked(c).filter(m -> !Cidrs.isUnspecified(m)).ifPresent(s::add);
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
    destinationCidrs.stream().sorted()
        .filter(c -> Cidrs.masked(c).map(x -> !Cidrs.isUnspecified(x)).orElse(true))
        .forEach(c -> m.addPrefixRanges(Addresses.cidr(c)));
    return m.build();
  }

  Optional<Metadata> metadataIfSet() {
    return metadata.getFilterMetadataCount() == 0 ? Optional.empty() : Optional.of(metadata);
  }
}
