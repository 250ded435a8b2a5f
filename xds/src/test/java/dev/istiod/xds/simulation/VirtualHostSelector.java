package dev.istiod.xds.simulation;

import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import java.util.Locale;
import java.util.Optional;

/**
 * Envoy's virtual host selection: the Host is lower-cased (and, with
 * {@code ignore_port_in_host_matching}, stripped of its port), then domains are searched in
 * this order — exact names; suffix wildcards ({@code *.foo.com}, {@code *-bar.foo.com}), longest
 * first; prefix wildcards ({@code foo.*}, {@code foo-*}), longest first; finally {@code *}. A
 * wildcard stands for at least one character.
 */
final class VirtualHostSelector {
  private VirtualHostSelector() {}

  static Optional<VirtualHost> select(RouteConfiguration rc, String authority) {
    String host = authority.toLowerCase(Locale.ROOT);
    if (rc.getIgnorePortInHostMatching()) {
      host = HostPort.withoutPort(host);
    }
    for (VirtualHost vh : rc.getVirtualHostsList()) {
      for (String d : vh.getDomainsList()) {
        if (!d.contains("*") && d.toLowerCase(Locale.ROOT).equals(host)) {
          return Optional.of(vh);
        }
      }
    }
    VirtualHost best = null;
    int bestLen = -1;
    for (VirtualHost vh : rc.getVirtualHostsList()) {
      for (String raw : vh.getDomainsList()) {
        String d = raw.toLowerCase(Locale.ROOT);
        if (d.length() > 1 && d.startsWith("*")) {
          String suffix = d.substring(1);
          if (host.length() > suffix.length() && host.endsWith(suffix) && suffix.length() > bestLen) {
            best = vh;
            bestLen = suffix.length();
          }
        }
      }
    }
    if (best != null) {
      return Optional.of(best);
    }
    for (VirtualHost vh : rc.getVirtualHostsList()) {
      for (String raw : vh.getDomainsList()) {
        String d = raw.toLowerCase(Locale.ROOT);
        if (d.length() > 1 && d.endsWith("*")) {
          String prefix = d.substring(0, d.length() - 1);
          if (host.length() > prefix.length() && host.startsWith(prefix) && prefix.length() > bestLen) {
            best = vh;
            bestLen = prefix.length();
          }
        }
      }
    }
    if (best != null) {
      return Optional.of(best);
    }
    return rc.getVirtualHostsList().stream().filter(vh -> vh.getDomainsList().contains("*")).findFirst();
  }
}
