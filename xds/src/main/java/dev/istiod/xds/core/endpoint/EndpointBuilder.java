package dev.istiod.xds.core.endpoint;

import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import dev.istiod.api.networking.v1alpha3.Subset;
import dev.istiod.model.Endpoint;
import dev.istiod.model.Locality;
import dev.istiod.model.Service;
import dev.istiod.model.ServicePort;
import dev.istiod.model.push.ResolvedDestinationRule;
import dev.istiod.xds.core.Addresses;
import dev.istiod.xds.core.EnvoyNames;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.security.EndpointMtls;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Endpoints of a service port (optionally one DestinationRule subset) as Envoy load assignments:
 * grouped by locality in a stable order, each locality weighted by the sum of its endpoints'
 * weights. Used for EDS and for the inline {@code load_assignment} of DNS clusters.
 */
public final class EndpointBuilder {
  private static final Logger log = LoggerFactory.getLogger(EndpointBuilder.class);

  private EndpointBuilder() {}

  /**
   * The assignment for a cluster name a proxy subscribed to, with locality weights or failover
   * priorities relative to the proxy when the DestinationRule (or mesh) asks for them. Clusters
   * of services the proxy does not see, of unknown ports or subsets, or without endpoints get an
   * empty assignment, which Envoy accepts (and which keeps a warming cluster from waiting
   * forever). An assignment Envoy would reject is reported and sent without its endpoints.
   */
  public static ClusterLoadAssignment forCluster(ProxyInputs in, String clusterName) {
    ClusterLoadAssignment cla = resolve(in, clusterName)
        .map(t -> loadAssignment(clusterName, LocalityPolicy.apply(in, t.dr(), t.port(), t.subset(),
            localityGroups(in, t.service(), t.port(), t.subsetLabels(),
                mtls(in, t.service(), t.port(), t.subset(), t.dr())))))
        .orElseGet(() -> ClusterLoadAssignment.newBuilder().setClusterName(clusterName).build());
    List<String> problems = AssignmentValidator.problems(cla);
    if (!problems.isEmpty()) {
      log.error("{}: not sending the endpoints of {}, Envoy would reject them: {}", in.proxy().id(), clusterName,
          problems);
      return ClusterLoadAssignment.newBuilder().setClusterName(clusterName).build();
    }
    return cla;
  }

  /**
   * What an outbound cluster name stands for in the proxy's scope.
   *
   * @param subset the subset name, "" for the service's own cluster
   * @param dr the DestinationRule that applies to the proxy for the service, if any
   */
  public record Target(Service service, ServicePort port, String subset, Map<String, String> subsetLabels,
      Optional<ResolvedDestinationRule> dr) {}

  public static Optional<Target> resolve(ProxyInputs in, String clusterName) {
    Optional<EnvoyNames.SubsetKey> key = EnvoyNames.parseCluster(clusterName);
    if (key.isEmpty() || key.get().direction() != EnvoyNames.Direction.OUTBOUND) {
      return Optional.empty();
    }
    EnvoyNames.SubsetKey k = key.get();
    Optional<Service> service = in.scope().service(k.host());
    Optional<ServicePort> port = service.flatMap(s -> s.port(k.port()));
    if (port.isEmpty()) {
      return Optional.empty();
    }
    Map<String, String> labels = Map.of();
    Optional<ResolvedDestinationRule> dr = in.scope().destinationRule(in.proxy(), k.host());
    if (!k.subset().isEmpty()) {
      Optional<Subset> subset = dr.flatMap(d -> d.subset(k.subset()));
      if (subset.isEmpty()) {
        return Optional.empty();
      }
      labels = subset.get().getLabelsMap();
    }
    return Optional.of(new Target(service.get(), port.get(), k.subset(), labels, dr));
  }

  public static ClusterLoadAssignment loadAssignment(String clusterName, List<LocalityLbEndpoints> endpoints) {
    return ClusterLoadAssignment.newBuilder().setClusterName(clusterName).addAllEndpoints(endpoints).build();
  }

  /**
   * Which endpoints of a cluster get the {@code tlsMode: istio} metadata auto mTLS selects by.
   *
   * @param subset the cluster's subset, "" for the service's own cluster
   */
  public static EndpointMtls mtls(ProxyInputs in, Service service, ServicePort port, String subset,
      Optional<ResolvedDestinationRule> dr) {
    return EndpointMtls.of(in.push().peerAuthentications(), service.namespace(), port.port(), subset, dr);
  }

  /**
   * Healthy endpoints of {@code service} serving {@code port} whose labels include
   * {@code subsetLabels}, grouped by locality (sorted, so output is stable), all at priority 0.
   * Unhealthy, draining and terminating endpoints are left out, as upstream does for services
   * that do not ask for unready endpoints. Endpoints {@code mtls} enables carry the
   * {@code envoy.transport_socket_match} metadata.
   */
  public static List<LocalityGroup> localityGroups(ProxyInputs in, Service service, ServicePort port,
      Map<String, String> subsetLabels, EndpointMtls mtls) {
    Map<String, GroupBuilder> byLocality = new TreeMap<>();
    for (Endpoint e : in.push().endpoints(service.key())) {
      if (!e.servicePortName().equals(port.name()) || e.health() != Endpoint.Health.HEALTHY
          || !e.labels().entrySet().containsAll(subsetLabels.entrySet())) {
        continue;
      }
      byLocality.computeIfAbsent(label(e.locality()), k -> new GroupBuilder(e.locality()))
          .add(e, lbEndpoint(e, mtls.enabled(e)));
    }
    List<LocalityGroup> out = new ArrayList<>();
    byLocality.values().forEach(g -> out.add(g.build()));
    return out;
  }

  private static String label(Locality l) {
    return l.isEmpty() ? "" : l.toString();
  }

  private static LbEndpoint lbEndpoint(Endpoint e, boolean mtls) {
    LbEndpoint.Builder b = LbEndpoint.newBuilder()
        .setHealthStatus(HealthStatus.HEALTHY)
        .setLoadBalancingWeight(UInt32Value.of(e.weight() > 0 ? e.weight() : 1));
    b.getEndpointBuilder().setAddress(Addresses.socket(e.address(), e.port()));
    if (mtls) {
      b.setMetadata(Metadata.newBuilder().putFilterMetadata(EndpointMtls.TRANSPORT_SOCKET_MATCH,
          Struct.newBuilder().putFields("tlsMode", Value.newBuilder().setStringValue("istio").build()).build()));
    }
    return b.build();
  }

  /** Endpoints of one locality while grouping. */
  private static final class GroupBuilder {
    private final Locality locality;
    private final List<LbEndpoint> endpoints = new ArrayList<>();
    private final List<Endpoint> sources = new ArrayList<>();
    private long weight;

    GroupBuilder(Locality locality) {
      this.locality = locality;
    }

    void add(Endpoint source, LbEndpoint e) {
      sources.add(source);
      endpoints.add(e);
      weight = Math.min(0xFFFFFFFFL, weight + Integer.toUnsignedLong(e.getLoadBalancingWeight().getValue()));
    }

    LocalityGroup build() {
      LocalityLbEndpoints.Builder b = LocalityLbEndpoints.newBuilder()
          .addAllLbEndpoints(endpoints)
          .setLoadBalancingWeight(UInt32Value.of((int) weight));
      if (!locality.isEmpty()) {
        b.getLocalityBuilder().setRegion(locality.region()).setZone(locality.zone()).setSubZone(locality.subzone());
      }
      return new LocalityGroup(locality, b.build(), sources);
    }
  }
}
