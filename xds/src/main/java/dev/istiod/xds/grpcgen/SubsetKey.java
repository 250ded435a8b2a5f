package dev.istiod.xds.grpcgen;

import dev.istiod.xds.core.EnvoyNames;
import java.util.Optional;

/**
 * A parsed {@code outbound|<port>|<subset>|<host>} name. Proxyless gRPC names its clusters, its
 * EDS resources and (as upstream's grpcgen does) its route configurations this way, so every
 * generator here starts by parsing what the client asked for.
 */
record SubsetKey(int port, String subset, String host) {

  SubsetKey {
    subset = subset == null ? "" : subset;
  }

  /** Parses an outbound subset key; anything else (inbound keys, garbage) is empty. */
  static Optional<SubsetKey> parse(String name) {
    return EnvoyNames.parseCluster(name)
        .filter(k -> k.direction() == EnvoyNames.Direction.OUTBOUND && !k.host().isEmpty())
        .filter(k -> k.port() >= 1 && k.port() <= 65535)
        .map(k -> new SubsetKey(k.port(), k.subset(), k.host()));
  }

  SubsetKey withSubset(String name) {
    return new SubsetKey(port, name, host);
  }

  String name() {
    return EnvoyNames.outboundCluster(port, subset, host);
  }
}
