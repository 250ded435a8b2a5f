package dev.istiod.xds.grpcgen;

import dev.istiod.api.networking.v1alpha3.DestinationRule;
import dev.istiod.api.networking.v1alpha3.VirtualService;
import dev.istiod.model.Config;
import dev.istiod.model.Endpoint;
import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.Service;
import dev.istiod.model.ServiceTarget;
import dev.istiod.model.push.Hosts;
import dev.istiod.model.push.ResolvedDestinationRule;
import dev.istiod.model.push.SidecarScope;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the proxyless generators read of one push for one client: the client's sidecar scope
 * (services, VirtualServices and DestinationRules it may see, exactly as a sidecar in its
 * namespace would), the endpoint index and the client's own service targets.
 *
 * <p>The one place grpcgen touches {@link PushContext}, so the generators stay small.
 */
record ProxylessView(Proxy proxy, PushContext push, SidecarScope scope) {

  static ProxylessView of(Proxy proxy, PushContext push) {
    return new ProxylessView(proxy, push, push.sidecarScope(proxy));
  }

  String domainSuffix() {
    return push.domainSuffix();
  }

  List<Service> services() {
    return scope.services();
  }

  Optional<Service> service(String hostname) {
    return scope.service(hostname);
  }

  Optional<DestinationRule> destinationRule(String hostname) {
    return scope.destinationRule(proxy, hostname).map(ResolvedDestinationRule::rule);
  }

  /**
   * The VirtualServices that bind {@code hostname} for routes on {@code port}, in precedence
   * order: those the scope's egress listener for the port imports whose hosts cover the service.
   */
  List<Config> virtualServices(String hostname, int port) {
    return scope.egressListenerForRoute(port)
        .map(l -> l.virtualServices().stream()
            .filter(vs -> vs.spec(VirtualService.class).getHostsList().stream()
                .anyMatch(h -> h.equals(hostname) || Hosts.subsetOf(hostname, h)))
            .toList())
        .orElse(List.of());
  }

  /**
   * The identities a server of {@code service} may present: the service's declared SANs and the
   * SPIFFE ids of its endpoints' service accounts.
   */
  List<String> subjectAltNames(Service service) {
    Set<String> out = new TreeSet<>(service.subjectAltNames());
    out.addAll(push.environment().endpointIndex().serviceAccounts(service.key()));
    return List.copyOf(out);
  }

  List<Endpoint> endpoints(Service service) {
    return push.endpoints(service.key());
  }

  List<ServiceTarget> serviceTargets() {
    return push.serviceTargets(proxy);
  }
}
