package dev.istiod.xds.grpcgen;

import com.google.common.net.InetAddresses;
import com.google.protobuf.UInt32Value;
import dev.istiod.model.Endpoint;
import dev.istiod.model.Locality;
import dev.istiod.model.ServicePort;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds the ClusterLoadAssignment of one proxyless cluster from the endpoint index.
 *
 * <p>gRPC differs from Envoy in ways that would silently leave a client with no backends: it
 * drops a locality without a {@code load_balancing_weight} (so every locality gets the sum of its
 * endpoints' weights, at least 1), NACKs an endpoint address that is not an IP (so DNS-named
 * endpoints of DNS ServiceEntries are left out), and NACKs a locality listed twice in one
 * priority (so endpoints are grouped by locality, and all share priority 0).
 */
final class GrpcEndpointBuilder {

  private static final Comparator<Locality> LOCALITY_ORDER =
      Comparator.comparing(Locality::region).thenComparing(Locality::zone).thenComparing(Locality::subzone);

  private GrpcEndpointBuilder() {}

  /**
   * @param endpoints all endpoints of the service (any port)
   * @param port the service port the cluster serves
   * @param subsetLabels labels an endpoint must carry to be in the cluster (empty: all)
   */
  static ClusterLoadAssignment build(String clusterName, List<Endpoint> endpoints, ServicePort port,
      Map<String, String> subsetLabels) {
    Map<Locality, LocalityLbEndpoints.Builder> byLocality = new TreeMap<>(LOCALITY_ORDER);
    Map<Locality, Integer> weights = new TreeMap<>(LOCALITY_ORDER);
    for (Endpoint ep : endpoints) {
      if (!serves(ep, port) || !hasLabels(ep, subsetLabels) || !InetAddresses.isInetAddress(ep.address())) {
        continue;
      }
      if (ep.health() != Endpoint.Health.HEALTHY) {
        continue;
      }
      int weight = Math.max(1, ep.weight());
      LocalityLbEndpoints.Builder group = byLocality.computeIfAbsent(ep.locality(), l -> LocalityLbEndpoints.newBuilder()
          .setLocality(io.envoyproxy.envoy.config.core.v3.Locality.newBuilder()
              .setRegion(l.region()).setZone(l.zone()).setSubZone(l.subzone())));
      group.addLbEndpoints(LbEndpoint.newBuilder()
          .setEndpoint(io.envoyproxy.envoy.config.endpoint.v3.Endpoint.newBuilder()
              .setAddress(Address.newBuilder().setSocketAddress(SocketAddress.newBuilder()
                  .setAddress(ep.address())
                  .setPortValue(ep.port() > 0 ? ep.port() : port.effectiveTargetPort()))))
          .setHealthStatus(HealthStatus.HEALTHY)
          .setLoadBalancingWeight(UInt32Value.of(weight)));
      weights.merge(ep.locality(), weight, Integer::sum);
    }
    ClusterLoadAssignment.Builder cla = ClusterLoadAssignment.newBuilder().setClusterName(clusterName);
    byLocality.forEach((locality, group) ->
        cla.addEndpoints(group.setLoadBalancingWeight(UInt32Value.of(weights.get(locality)))));
    return cla.build();
  }

  private static boolean serves(Endpoint ep, ServicePort port) {
    return ep.servicePortName().equals(port.name());
  }

  private static boolean hasLabels(Endpoint ep, Map<String, String> labels) {
    return labels.entrySet().stream().allMatch(e -> e.getValue().equals(ep.labels().get(e.getKey())));
  }
}
