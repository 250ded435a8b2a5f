package dev.istiod.model;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.model.push.AuthorizationPolicyIndex;
import dev.istiod.model.push.DestinationRuleIndex;
import dev.istiod.model.push.GatewayIndex;
import dev.istiod.model.push.PeerAuthenticationIndex;
import dev.istiod.model.push.PushStatus;
import dev.istiod.model.push.RequestAuthenticationIndex;
import dev.istiod.model.push.ServiceIndex;
import dev.istiod.model.push.SidecarIndex;
import dev.istiod.model.push.SidecarScope;
import dev.istiod.model.push.TelemetryIndex;
import dev.istiod.model.push.VirtualServiceIndex;
import dev.istiod.model.push.ResolvedDestinationRule;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The immutable snapshot of the mesh that generators read: services by host and visibility,
 * VirtualServices by gateway and visibility, DestinationRules in upstream's lookup order, and the
 * Sidecar scopes proxies resolve to.
 *
 * <p>Design note.
 * <ul>
 *   <li><b>Lifecycle.</b> The push pipeline builds one context per full push ({@link #build}) and
 *       hands the same instance to every proxy's generators. A context is never mutated after
 *       {@code build} returns; a config change produces a new context.</li>
 *   <li><b>Concurrency.</b> Generators read it from many threads without locks. The only state
 *       written after construction is a memo of sidecar scopes (and, inside {@link ServiceIndex},
 *       of per-namespace visibility lists) in {@link ConcurrentHashMap}s; each memoized value is a
 *       pure function of the immutable indexes, so two threads racing to compute one produce equal
 *       values and readers never observe a partial one.</li>
 *   <li><b>Endpoints are not here.</b> They stay in the environment's {@link EndpointIndex} and are
 *       read when EDS (or a DNS cluster) is generated, so an endpoint-only change can be pushed
 *       as incremental EDS against the previous context without rebuilding it.</li>
 *   <li><b>Reuse.</b> {@code build} rebuilds only the indexes a request can have changed: a
 *       request naming no VirtualService reuses the previous VirtualService index, and so on. A
 *       forced request, a request without keys, or a mesh config change rebuilds everything.</li>
 *   <li><b>Gateways.</b> A gateway proxy's Gateway resources come from {@link #gatewaysFor};
 *       the VirtualServices bound to them from {@link #virtualServices(String, String)}. Gateway
 *       proxies never take a Sidecar resource: their scope is always the namespace default.</li>
 * </ul>
 */
public final class PushContext {
  private record ScopeKey(ConfigKey sidecar, String namespace) {}

  private final String version;
  private final Environment env;
  private final MeshConfig mesh;
  private final Instant createdAt;
  private final ServiceIndex serviceIndex;
  private final VirtualServiceIndex virtualServiceIndex;
  private final DestinationRuleIndex destinationRuleIndex;
  private final SidecarIndex sidecarIndex;
  private final GatewayIndex gateways;
  private final PeerAuthenticationIndex peerAuthentications;
  private final TelemetryIndex telemetry;
  private final AuthorizationPolicyIndex authorizationPolicies;
  private final RequestAuthenticationIndex requestAuthentications;
  private final ConcurrentHashMap<ScopeKey, SidecarScope> scopes = new ConcurrentHashMap<>();
  private final PushStatus status = new PushStatus();

  private PushContext(String version, Environment env, MeshConfig mesh, Instant createdAt, ServiceIndex serviceIndex,
      VirtualServiceIndex virtualServiceIndex, DestinationRuleIndex destinationRuleIndex, SidecarIndex sidecarIndex,
      GatewayIndex gateways, PeerAuthenticationIndex peerAuthentications, TelemetryIndex telemetry,
      AuthorizationPolicyIndex authorizationPolicies, RequestAuthenticationIndex requestAuthentications) {
    this.version = version;
    this.env = env;
    this.mesh = mesh;
    this.createdAt = createdAt;
    this.serviceIndex = serviceIndex;
    this.virtualServiceIndex = virtualServiceIndex;
    this.destinationRuleIndex = destinationRuleIndex;
    this.sidecarIndex = sidecarIndex;
    this.gateways = gateways;
    this.peerAuthentications = peerAuthentications;
    this.telemetry = telemetry;
    this.authorizationPolicies = authorizationPolicies;
    this.requestAuthentications = requestAuthentications;
  }

  /**
   * Builds a new snapshot from the environment.
   *
   * @param previous the last snapshot (nullable); indexes the request cannot have changed are reused
   * @param request what changed (nullable: rebuild everything)
   */
  public static PushContext build(Environment env, String version, PushContext previous, PushRequest request) {
    Objects.requireNonNull(env, "env");
    MeshConfig mesh = Objects.requireNonNull(env.mesh().get(), "mesh config");
    boolean reusable = previous != null && request != null && !request.forced()
        && previous.mesh.equals(mesh) && previous.env.domainSuffix().equals(env.domainSuffix())
        && (!request.full() || !request.configsUpdated().isEmpty());
    boolean endpointsOnly = reusable && !request.full();
    ConfigStore store = env.configStore();
    ServiceIndex services = endpointsOnly ? previous.serviceIndex
        : ServiceIndex.build(env.serviceDiscovery().services());
    VirtualServiceIndex vs = reusable && !request.touches(Kind.VIRTUAL_SERVICE) ? previous.virtualServiceIndex
        : VirtualServiceIndex.build(store.list(Kind.VIRTUAL_SERVICE), mesh, env.domainSuffix());
    DestinationRuleIndex dr = reusable && !request.touches(Kind.DESTINATION_RULE) ? previous.destinationRuleIndex
        : DestinationRuleIndex.build(store.list(Kind.DESTINATION_RULE), mesh, env.domainSuffix());
    SidecarIndex sidecars = reusable && !request.touches(Kind.SIDECAR) ? previous.sidecarIndex
        : SidecarIndex.build(store.list(Kind.SIDECAR), mesh.getRootNamespace());
    GatewayIndex gateways = reusable && !request.touches(Kind.GATEWAY) ? previous.gateways
        : GatewayIndex.build(store.list(Kind.GATEWAY));
    PeerAuthenticationIndex peerAuthn = reusable && !request.touches(Kind.PEER_AUTHENTICATION)
        ? previous.peerAuthentications
        : PeerAuthenticationIndex.build(store.list(Kind.PEER_AUTHENTICATION), mesh.getRootNamespace());
    TelemetryIndex telemetry = reusable && !request.touches(Kind.TELEMETRY) ? previous.telemetry
        : TelemetryIndex.build(store.list(Kind.TELEMETRY), mesh);
    AuthorizationPolicyIndex authz = reusable && !request.touches(Kind.AUTHORIZATION_POLICY)
        ? previous.authorizationPolicies
        : AuthorizationPolicyIndex.build(store.list(Kind.AUTHORIZATION_POLICY), mesh.getRootNamespace());
    RequestAuthenticationIndex requestAuthn = reusable && !request.touches(Kind.REQUEST_AUTHENTICATION)
        ? previous.requestAuthentications
        : RequestAuthenticationIndex.build(store.list(Kind.REQUEST_AUTHENTICATION), mesh.getRootNamespace());
    PushContext ctx = new PushContext(version, env, mesh, Instant.now(), services, vs, dr, sidecars, gateways,
        peerAuthn, telemetry, authz, requestAuthn);
    if (endpointsOnly && services == previous.serviceIndex && vs == previous.virtualServiceIndex
        && dr == previous.destinationRuleIndex && sidecars == previous.sidecarIndex) {
      ctx.scopes.putAll(previous.scopes); // scopes depend only on the reused indexes
    }
    return ctx;
  }

  /**
   * What generators reported while serving this push (listener conflicts and the like), as
   * upstream's push status. Generators write to it concurrently; it is thread-safe.
   */
  public PushStatus status() {
    return status;
  }

  /** The push version, as sent in {@code version_info}. */
  public String version() {
    return version;
  }

  public MeshConfig mesh() {
    return mesh;
  }

  public Environment environment() {
    return env;
  }

  public Instant createdAt() {
    return createdAt;
  }

  /** The cluster DNS suffix, {@code cluster.local} by default. */
  public String domainSuffix() {
    return env.domainSuffix();
  }

  /** Every service of every registry, in registry order. */
  public List<Service> services() {
    return serviceIndex.all();
  }

  /** The services a proxy in {@code namespace} may see ({@code exportTo}). */
  public List<Service> servicesVisibleTo(String namespace) {
    return serviceIndex.visibleTo(namespace);
  }

  /** The service with this hostname as seen from {@code namespace}: its own, else the first visible. */
  public Optional<Service> service(String hostname, String namespace) {
    return serviceIndex.forHostname(hostname, namespace);
  }

  /** The sidecar scope of a proxy: its Sidecar resource's imports, or the implicit default. */
  public SidecarScope sidecarScope(Proxy proxy) {
    // Upstream's DefaultSidecarScopeForGateway: gateways ignore Sidecar resources.
    Config sidecar = proxy.isRouter() ? null : sidecarIndex.select(proxy).orElse(null);
    ScopeKey key = new ScopeKey(sidecar == null ? null : sidecar.key(), proxy.configNamespace());
    return scopes.computeIfAbsent(key, k -> SidecarScope.build(sidecar, k.namespace(), serviceIndex,
        virtualServiceIndex, destinationRuleIndex, mesh));
  }

  /** The service ports the proxy's own workload implements (inbound listeners and clusters). */
  public List<ServiceTarget> serviceTargets(Proxy proxy) {
    return env.serviceDiscovery().serviceTargets(proxy);
  }

  /**
   * The current endpoints of a service. Read live from the endpoint index, not from this
   * snapshot, so incremental EDS sees changes made after the snapshot was built.
   */
  public List<Endpoint> endpoints(ServiceKey service) {
    return env.endpointIndex().endpoints(service);
  }

  /**
   * VirtualServices bound to {@code gateway} ({@code mesh} for sidecars, {@code ns/name} for a
   * Gateway) that a proxy in {@code namespace} may use, in precedence order, hosts resolved.
   */
  public List<Config> virtualServices(String namespace, String gateway) {
    return virtualServiceIndex.forGateway(namespace, gateway);
  }

  /** DestinationRules for a service seen from {@code namespace}, in upstream's lookup order. */
  public List<ResolvedDestinationRule> destinationRules(String namespace, Service service) {
    return destinationRuleIndex.lookup(namespace, service);
  }

  /** PeerAuthentication policies: which mTLS mode workloads accept (inbound chains, auto mTLS, EDS). */
  /** Telemetry resources: which access-log providers each workload side uses. */
  public TelemetryIndex telemetry() {
    return telemetry;
  }

  /** RequestAuthentication policies: which JWT rules a workload's inbound (or a gateway's) HTTP checks. */
  public RequestAuthenticationIndex requestAuthentications() {
    return requestAuthentications;
  }

  public PeerAuthenticationIndex peerAuthentications() {
    return peerAuthentications;
  }

  /** AuthorizationPolicies: the RBAC filters of inbound and gateway listeners. */
  public AuthorizationPolicyIndex authorizationPolicies() {
    return authorizationPolicies;
  }

  /** Every Gateway resource, oldest first. */
  public List<Config> gateways() {
    return gateways.all();
  }

  /** The Gateway resources a gateway proxy serves (its labels match their selector), oldest first. */
  public List<Config> gatewaysFor(Proxy proxy) {
    return gateways.forProxy(proxy);
  }
}
