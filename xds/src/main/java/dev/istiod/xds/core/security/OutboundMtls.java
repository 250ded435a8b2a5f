package dev.istiod.xds.core.security;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.networking.v1alpha3.ClientTLSSettings;
import dev.istiod.api.networking.v1alpha3.LoadBalancerSettings;
import dev.istiod.api.networking.v1alpha3.Subset;
import dev.istiod.api.networking.v1alpha3.TrafficPolicy;
import dev.istiod.model.Endpoint;
import dev.istiod.model.Resolution;
import dev.istiod.model.Service;
import dev.istiod.model.ServicePort;
import dev.istiod.model.push.PeerAuthenticationIndex.MutualTlsMode;
import dev.istiod.model.push.ResolvedDestinationRule;
import dev.istiod.xds.core.EnvoyNames;
import dev.istiod.xds.core.ProxyInputs;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Istio mutual TLS on outbound clusters, as upstream's {@code cluster_tls.go}
 * ({@code buildUpstreamTLSSettings}, {@code applyUpstreamTLSSettings}) and
 * {@code BestEffortInferServiceMTLSMode}:
 * <ul>
 *   <li>A DestinationRule with {@code ISTIO_MUTUAL}: every connection is mTLS, with the rule's SNI
 *       and SANs, else {@code outbound_.<port>_.<subset>_.<host>} and the service's accounts.</li>
 *   <li>No TLS in the rule and mesh {@code enableAutoMtls} (the default): for in-mesh services
 *       whose namespace (or mesh) policy is not DISABLE, {@code transport_socket_matches} send mTLS
 *       to endpoints marked {@code tlsMode: istio} ({@link EndpointMtls}) and plaintext to the
 *       others. Original-destination clusters cannot match per endpoint: they get mTLS only when
 *       every endpoint has a sidecar, else plaintext.</li>
 * </ul>
 * Only for proxies whose agent serves the certificates ({@link AgentSds#available}); for others
 * nothing changes, as before the CA existed.
 */
public final class OutboundMtls {
  static final String MATCH_ISTIO = "tlsMode-istio";
  static final String MATCH_DISABLED = "tlsMode-disabled";
  static final Struct ISTIO_MATCH = Struct.newBuilder()
      .putFields(EndpointMtls.TLS_MODE_KEY, Value.newBuilder().setStringValue(EndpointMtls.TLS_MODE_ISTIO).build()).build();

  private OutboundMtls() {}

  /**
   * An explicit {@code ISTIO_MUTUAL}: sets the cluster's transport socket and returns true, or
   * returns false (cluster untouched) when the proxy has no agent certificates.
   */
  public static boolean explicit(ProxyInputs in, Service service, ServicePort port, ClientTLSSettings tls, boolean http2,
      Cluster.Builder cluster) {
    if (!AgentSds.available(in.proxy())) {
      return false;
    }
    String sni = tls.getSni().isEmpty() ? defaultSni(cluster.getName(), service, port) : tls.getSni();
    List<String> sans = tls.getSubjectAltNamesCount() > 0 ? tls.getSubjectAltNamesList() : serviceAccounts(in, service);
    cluster.setTransportSocket(IstioMtls.tlsSocket(IstioMtls.upstream(sans, sni, http2)));
    return true;
  }

  /** Automatic mTLS for a cluster whose DestinationRule sets no TLS (see the class comment). */
  public static void auto(ProxyInputs in, Service service, ServicePort port, Optional<ResolvedDestinationRule> dr,
      boolean http2, Cluster.Builder cluster) {
    if (!AgentSds.available(in.proxy()) || service.meshExternal() || !autoMtlsEnabled(in.mesh())) {
      return;
    }
    String subset = EnvoyNames.parseCluster(cluster.getName()).map(EnvoyNames.SubsetKey::subset).orElse("");
    MutualTlsMode mode = serviceMode(in, service, port, dr, subset);
    if (mode == MutualTlsMode.UNKNOWN || mode == MutualTlsMode.DISABLE) {
      return;
    }
    TransportSocket mtls = IstioMtls.tlsSocket(IstioMtls.upstream(serviceAccounts(in, service),
        defaultSni(cluster.getName(), service, port), http2));
    if (cluster.getType() == Cluster.DiscoveryType.ORIGINAL_DST) {
      cluster.setTransportSocket(mtls); // every endpoint has a sidecar (serviceMode said so)
      return;
    }
    cluster.clearTransportSocket()
        .addTransportSocketMatches(Cluster.TransportSocketMatch.newBuilder()
            .setName(MATCH_ISTIO).setMatch(ISTIO_MATCH).setTransportSocket(mtls))
        .addTransportSocketMatches(Cluster.TransportSocketMatch.newBuilder()
            .setName(MATCH_DISABLED).setMatch(Struct.getDefaultInstance()).setTransportSocket(IstioMtls.rawBuffer()));
  }

  static boolean autoMtlsEnabled(MeshConfig mesh) {
    return !mesh.hasEnableAutoMtls() || mesh.getEnableAutoMtls().getValue();
  }

  /**
   * The mode the service's servers probably accept, from what clients can know: passthrough
   * services need every endpoint to have a sidecar; otherwise the namespace's (or mesh's)
   * PeerAuthentication, else PERMISSIVE. Workload and port policies are not looked at: the
   * endpoints' {@code tlsMode} metadata covers those ({@link EndpointMtls}).
   */
  static MutualTlsMode serviceMode(ProxyInputs in, Service service, ServicePort port,
      Optional<ResolvedDestinationRule> dr, String subset) {
    if (service.meshExternal()) {
      return MutualTlsMode.UNKNOWN;
    }
    TrafficPolicy policy = dr.map(d -> subset.isEmpty() ? d.rule().getTrafficPolicy()
        : d.subset(subset).map(Subset::getTrafficPolicy).orElse(TrafficPolicy.getDefaultInstance()))
        .orElse(TrafficPolicy.getDefaultInstance());
    if (service.resolution() == Resolution.PASSTHROUGH
        || policy.getLoadBalancer().getSimple() == LoadBalancerSettings.SimpleLB.PASSTHROUGH) {
      List<Endpoint> endpoints = in.push().endpoints(service.key()).stream()
          .filter(e -> e.servicePortName().equals(port.name())).toList();
      if (endpoints.isEmpty() || endpoints.stream().anyMatch(e -> e.tlsMode() != Endpoint.TlsMode.ISTIO)) {
        return MutualTlsMode.DISABLE;
      }
    }
    MutualTlsMode ns = in.push().peerAuthentications().namespaceMode(service.namespace());
    return ns != MutualTlsMode.UNKNOWN ? ns : MutualTlsMode.PERMISSIVE;
  }

  /** {@code outbound_.<port>_.<subset>_.<host>}: what the server-side sidecar (or an AUTO_PASSTHROUGH gateway) sees. */
  static String defaultSni(String clusterName, Service service, ServicePort port) {
    String subset = EnvoyNames.parseCluster(clusterName).map(EnvoyNames.SubsetKey::subset).orElse("");
    return EnvoyNames.sniDnatCluster(port.port(), subset, service.hostname());
  }

  /**
   * Identities the service's servers may present: its endpoints' service accounts plus those the
   * service declares (ServiceEntry {@code subjectAltNames}, Kubernetes annotations), in every
   * trust-domain alias, sorted, as upstream's {@code PushContext.ServiceAccounts}.
   */
  static List<String> serviceAccounts(ProxyInputs in, Service service) {
    Set<String> ids = new HashSet<>(in.push().environment().endpointIndex().serviceAccounts(service.key()));
    ids.addAll(service.subjectAltNames());
    return IstioMtls.expandTrustDomains(ids, in.mesh());
  }
}
