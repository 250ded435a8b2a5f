package dev.istiod.xds.cache;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.networking.v1alpha3.DestinationRule;
import dev.istiod.api.networking.v1alpha3.LoadBalancerSettings;
import dev.istiod.api.networking.v1alpha3.Subset;
import dev.istiod.api.networking.v1alpha3.TrafficPolicy;
import dev.istiod.model.Locality;
import dev.istiod.model.NodeType;
import dev.istiod.model.Resolution;
import dev.istiod.model.Service;
import dev.istiod.model.push.PeerAuthenticationIndex;
import dev.istiod.model.push.ResolvedDestinationRule;
import dev.istiod.model.push.SidecarScope;
import dev.istiod.xds.core.ProxyInputs;
import dev.istiod.xds.core.endpoint.LocalityLoadBalancer;
import dev.istiod.xds.core.endpoint.LocalityPolicy;
import dev.istiod.xds.core.route.HttpRouteTranslator;
import dev.istiod.xds.core.security.AgentSds;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The keys of cached xDS output. Each names every input its builder reads — that is the cache's whole
 * correctness argument ({@link XdsCache}), so when a builder starts reading something new, its key here
 * must name it too (the cache-equivalence test fails until it does).
 *
 * <p>Snapshot-wide inputs are held by identity where the push context reuses them across pushes (the
 * PeerAuthentication index, the Sidecar scope) and by value otherwise (mesh config, services, the
 * resolved DestinationRule), so an edit that rebuilds one index keeps every key that does not read it.
 */
public final class CacheKeys {
  private CacheKeys() {}

  /**
   * What the outbound cluster and endpoint builders read about the proxy itself: its type (sidecars get
   * upstream protocol sniffing options, gateways not), whether its Envoy has the metadata exchange filter,
   * whether its agent serves SDS (auto mTLS and DestinationRule TLS), its IP families (DNS lookup family),
   * and its locality (locality-weighted inline endpoints).
   */
  public record ProxyFacts(NodeType type, boolean metadataExchange, boolean agentSds, boolean ipv6Only,
      boolean ipv4Only, Locality locality) {
    public static ProxyFacts of(ProxyInputs in) {
      return new ProxyFacts(in.proxy().type(), in.metadataExchange(), AgentSds.available(in.proxy()), in.ipv6Only(),
          in.ipv4Only(), LocalityPolicy.proxyLocality(in));
    }
  }

  /**
   * The clusters of one service (its ports and its DestinationRule's subsets) for one kind of proxy.
   *
   * @param failoverLabels the proxy's labels as locality failover compares them, only when a
   *     {@code failoverPriority} is in force (else empty, so proxies with different labels share)
   * @param credentials whether istiod serves {@code credentialName} secrets (DestinationRule TLS)
   */
  public record OutboundClusters(Service service, Optional<ResolvedDestinationRule> dr, ProxyFacts proxy,
      Map<String, String> failoverLabels, MeshConfig mesh, PeerAuthenticationIndex peerAuthentications,
      boolean credentials) {
    public OutboundClusters {
      Objects.requireNonNull(service, "service");
    }

    public static OutboundClusters of(ProxyInputs in, ProxyFacts facts, Service service,
        Optional<ResolvedDestinationRule> dr) {
      return new OutboundClusters(service, dr, facts, labelsForFailover(in, facts, dr), in.mesh(),
          in.push().peerAuthentications(), in.push().environment().hasCredentials());
    }

    // Equal keys have equal hosts, namespaces and facts; hashing just those keeps a lookup from walking the
    // whole service and rule, while equals still compares everything.
    @Override
    public int hashCode() {
      return Objects.hash(service.hostname(), service.namespace(), proxy, dr.map(d -> d.config().key()));
    }
  }

  /**
   * Every outbound cluster of a sidecar scope for one kind of proxy, in the scope's service order: the
   * {@link OutboundClusters} entries of its services, shared whole, so that the second to N-th proxy of a scope
   * does not look up a thousand entries again. The scope is one object per Sidecar and namespace per push and
   * compares by identity (it fixes the services and the rules that can apply); what else a service's entry reads
   * of the proxy is here: its facts, its labels when a rule of the scope selects workloads, and the labels
   * locality failover compares when failover priority is in force. Stamped with
   * {@code EndpointIndex.publishedVersion}, as any service's endpoints may shape its clusters.
   */
  public record ScopeClusters(SidecarScope scope, ProxyFacts proxy, Map<String, String> selectorLabels,
      Map<String, String> failoverLabels, MeshConfig mesh, PeerAuthenticationIndex peerAuthentications,
      boolean credentials) {
    public ScopeClusters {
      Objects.requireNonNull(scope, "scope");
    }

    /** The key for {@code in}'s scope; whether failover priority is in force is looked up once per scope. */
    public static ScopeClusters of(XdsCache cache, ProxyInputs in, ProxyFacts facts) {
      boolean failover = cache.get(in.push(), new ScopeFailover(in.scope()), 0, () -> failoverPriority(in));
      return of(in, facts, failover);
    }

    private static ScopeClusters of(ProxyInputs in, ProxyFacts facts, boolean failoverPriority) {
      return new ScopeClusters(in.scope(), facts,
          in.scope().readsWorkloadLabels() ? in.proxy().labels() : Map.of(),
          failoverPriority ? Map.copyOf(LocalityLoadBalancer.proxyLabels(in.proxy(), facts.locality())) : Map.of(),
          in.mesh(), in.push().peerAuthentications(), in.push().environment().hasCredentials());
    }

    /** Whether locality failover priority is in force for any service of the scope (mesh-wide or by a rule). */
    private static boolean failoverPriority(ProxyInputs in) {
      return in.mesh().getLocalityLbSetting().getFailoverPriorityCount() > 0
          || in.scope().destinationRules().anyMatch(d -> hasFailoverPriority(d.rule()));
    }
  }

  /**
   * The load assignments of a whole EDS subscription of outbound clusters, in name order: the
   * {@link LoadAssignment} entries of its names, shared whole by proxies of the same scope and facts that
   * subscribe to the same names (sidecars of a scope all do). Keyed as {@link ScopeClusters} plus the names;
   * stamped with {@code EndpointIndex.publishedVersion}.
   */
  public record ScopeAssignments(ScopeClusters scope, Set<String> clusters) {
    public static ScopeAssignments of(XdsCache cache, ProxyInputs in, ProxyFacts facts, Set<String> clusters) {
      return new ScopeAssignments(ScopeClusters.of(cache, in, facts), clusters);
    }
  }

  /** The key under which whether a scope has failover priority is memoised (the scope by identity). */
  private record ScopeFailover(SidecarScope scope) {}

  /**
   * The load assignment of one cluster name for one proxy: the service and DestinationRule the name
   * resolves to in the proxy's scope, the proxy's locality (and labels under failover priority), and the
   * PeerAuthentication index (which endpoints carry the {@code tlsMode} metadata). The endpoints themselves
   * are the entry's stamp.
   */
  public record LoadAssignment(String cluster, Optional<Service> service, Optional<ResolvedDestinationRule> dr,
      Locality locality, Map<String, String> failoverLabels, MeshConfig mesh,
      PeerAuthenticationIndex peerAuthentications) {
    public static LoadAssignment of(ProxyInputs in, ProxyFacts facts, String cluster, Optional<Service> service,
        Optional<ResolvedDestinationRule> dr) {
      return of(in, facts, cluster, service, dr, labelsForFailover(in, facts, dr));
    }

    /** As above, with {@code failoverLabels} from {@link #labelsForFailover} computed once for the host. */
    public static LoadAssignment of(ProxyInputs in, ProxyFacts facts, String cluster, Optional<Service> service,
        Optional<ResolvedDestinationRule> dr, Map<String, String> failoverLabels) {
      return new LoadAssignment(cluster, service, dr, facts.locality(), failoverLabels, in.mesh(),
          in.push().peerAuthentications());
    }

    @Override
    public int hashCode() {
      return Objects.hash(cluster, locality, service.map(Service::namespace), dr.map(d -> d.config().key()));
    }
  }

  /**
   * A sidecar's route configuration by name: its Sidecar scope (by identity: the VirtualServices,
   * services and DestinationRules it sees), the proxy's DNS domain (short host names), the namespace
   * {@code sourceNamespace} matches compare, and its labels only when the scope reads them
   * ({@link SidecarScope#readsWorkloadLabels}).
   */
  public record RouteConfiguration(String name, SidecarScope scope, String dnsDomain, String sourceNamespace,
      Map<String, String> labels, MeshConfig mesh) {
    public static RouteConfiguration of(ProxyInputs in, String name) {
      return new RouteConfiguration(name, in.scope(), in.proxy().dnsDomain(), HttpRouteTranslator.sourceNamespace(in.proxy()),
          in.scope().readsWorkloadLabels() ? in.proxy().labels() : Map.of(), in.mesh());
    }
  }

  /**
   * A sidecar's outbound listeners and {@code virtualOutbound}, with their access logs, as the listener builders
   * read the proxy: its Sidecar scope (by identity), namespace ({@code sourceNamespace} of TCP/TLS routes), labels
   * only when the scope reads them, IP families (wildcard and localhost addresses), interception mode, port facts
   * (unprivileged, status and Prometheus ports), the TCP idle timeout it asks for, the Istio filters its Envoy has,
   * the access logs Telemetry gives its client side, and — for passthrough services whose listeners are per
   * endpoint — its own address and those services' endpoint versions. The policy indexes are held by identity as
   * a guard: a new index (an edit) yields a new key.
   */
  public record OutboundListeners(SidecarScope scope, String namespace, Map<String, String> labels, boolean ipv6Only,
      boolean ipv4Only, String interceptionMode, boolean unprivileged, int statusPort, int prometheusPort,
      String idleTimeout, boolean metadataExchange, boolean alpn, List<AccessLog> clientLogs, MeshConfig mesh,
      String selfAddress, List<Long> passthroughEndpoints, Object telemetry, Object authorization,
      Object requestAuthentication, PeerAuthenticationIndex peerAuthentications) {
    public static OutboundListeners of(ProxyInputs in, List<AccessLog> clientLogs) {
      List<Long> versions = new ArrayList<>();
      for (Service s : in.scope().services()) {
        if (s.resolution() == Resolution.PASSTHROUGH) {
          versions.add(in.push().environment().endpointIndex().version(s.key()));
        }
      }
      String self = versions.isEmpty() || in.proxy().ipAddresses().isEmpty() ? "" : in.proxy().ipAddresses().get(0);
      return new OutboundListeners(in.scope(), in.proxy().configNamespace(),
          in.scope().readsWorkloadLabels() ? in.proxy().labels() : Map.of(), in.ipv6Only(), in.ipv4Only(),
          in.proxy().metadata().interceptionMode(), in.unprivileged(), in.metadataPort("ENVOY_STATUS_PORT"),
          in.metadataPort("ENVOY_PROMETHEUS_PORT"), in.idleTimeoutMetadata(),
          in.metadataExchange(), in.alpnFilter(), List.copyOf(clientLogs), in.mesh(), self, List.copyOf(versions),
          in.push().telemetry(), in.push().authorizationPolicies(), in.push().requestAuthentications(),
          in.push().peerAuthentications());
    }

    @Override
    public int hashCode() {
      return Objects.hash(System.identityHashCode(scope), namespace, labels, interceptionMode, selfAddress,
          metadataExchange, clientLogs.size());
    }
  }

  /**
   * The proxy's labels as locality failover reads them ({@link LocalityLoadBalancer#proxyLabels}: its
   * labels plus topology and node metadata), when the mesh or the DestinationRule sets a
   * {@code failoverPriority}; otherwise nothing reads them.
   */
  public static Map<String, String> labelsForFailover(ProxyInputs in, ProxyFacts facts, Optional<ResolvedDestinationRule> dr) {
    boolean used = in.mesh().getLocalityLbSetting().getFailoverPriorityCount() > 0
        || dr.map(d -> hasFailoverPriority(d.rule())).orElse(false);
    return used ? Map.copyOf(LocalityLoadBalancer.proxyLabels(in.proxy(), facts.locality())) : Map.of();
  }

  private static boolean hasFailoverPriority(DestinationRule rule) {
    if (hasFailoverPriority(rule.getTrafficPolicy())) {
      return true;
    }
    for (Subset s : rule.getSubsetsList()) {
      if (hasFailoverPriority(s.getTrafficPolicy())) {
        return true;
      }
    }
    return false;
  }

  private static boolean hasFailoverPriority(TrafficPolicy policy) {
    if (hasFailoverPriority(policy.getLoadBalancer())) {
      return true;
    }
    return policy.getPortLevelSettingsList().stream().anyMatch(p -> hasFailoverPriority(p.getLoadBalancer()));
  }

  private static boolean hasFailoverPriority(LoadBalancerSettings lb) {
    return lb.getLocalityLbSetting().getFailoverPriorityCount() > 0;
  }
}
