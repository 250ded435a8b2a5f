package dev.istiod.xds.core.gateway;

import dev.istiod.model.Service;
import dev.istiod.xds.core.EnvoyNames;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.cluster.ClusterBuilder;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The clusters a gateway needs beyond the outbound clusters every proxy gets: with an
 * AUTO_PASSTHROUGH server, the SNI-DNAT clusters {@code outbound_.<port>_.<subset>_.<host>} of
 * every in-mesh service, as upstream's {@code buildOutboundSniDnatClusters}. They are the
 * service's outbound clusters (same endpoints, load balancing and connection pool) under the
 * SNI-DNAT name and without upstream TLS: the client's own mTLS passes through untouched.
 */
public final class GatewayClusters {
  private static final Logger log = LoggerFactory.getLogger(GatewayClusters.class);

  private final GatewayInputs gw;

  public GatewayClusters(GatewayInputs gw) {
    this.gw = gw;
  }

  public List<Cluster> sniDnat() {
    if (!gw.merged().autoPassthrough()) {
      return List.of();
    }
    ProxyInputs in = gw.in();
    ClusterBuilder builder = new ClusterBuilder(in);
    List<Cluster> out = new ArrayList<>();
    for (Service s : in.scope().services()) {
      if (s.meshExternal()) {
        continue;
      }
      try {
        builder.outbound(s).forEach(c -> out.add(asSniDnat(c)));
      } catch (RuntimeException e) {
        log.error("{}: skipping SNI-DNAT clusters of {}: {}", in.proxy().id(), s.hostname(), e.toString(), e);
      }
    }
    return out;
  }

  /** The same cluster under its SNI-DNAT name, without upstream TLS. */
  static Cluster asSniDnat(Cluster c) {
    EnvoyNames.SubsetKey k = EnvoyNames.parseCluster(c.getName())
        .orElseThrow(() -> new IllegalArgumentException("not an outbound cluster name: " + c.getName()));
    String name = EnvoyNames.sniDnatCluster(k.port(), k.subset(), k.host());
    Cluster.Builder b = c.toBuilder().setName(name).setAltStatName(EnvoyNames.delimitedStatPrefix(name))
        .clearTransportSocket().clearTransportSocketMatches();
    if (b.hasEdsClusterConfig()) {
      b.getEdsClusterConfigBuilder().setServiceName(name);
    }
    if (b.hasLoadAssignment()) {
      b.getLoadAssignmentBuilder().setClusterName(name);
    }
    return b.build();
  }
}
