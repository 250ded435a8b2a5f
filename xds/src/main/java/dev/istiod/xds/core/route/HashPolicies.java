package dev.istiod.xds.core.route;

import dev.istiod.api.networking.v1alpha3.Destination;
import dev.istiod.api.networking.v1alpha3.DestinationRule;
import dev.istiod.api.networking.v1alpha3.LoadBalancerSettings;
import dev.istiod.api.networking.v1alpha3.Subset;
import dev.istiod.api.networking.v1alpha3.TrafficPolicy;
import dev.istiod.xds.core.ProxyInputs;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import java.util.List;
import java.util.Optional;

/**
 * Consistent-hash load balancing needs the route to say what to hash: a DestinationRule's
 * {@code consistentHash} (header, cookie, source IP or query parameter) becomes the route's
 * {@code hash_policy}, as upstream's {@code HashForHTTPDestination}: the subset's port-level
 * setting, else the subset's, else the rule's port-level setting for the destination's explicit
 * port, else the rule's own.
 */
final class HashPolicies {
  private HashPolicies() {}

  /** The consistent hash a destination's traffic uses, if its DestinationRule asks for one. */
  static Optional<LoadBalancerSettings.ConsistentHashLB> forDestination(ProxyInputs in, Destination d) {
    Optional<DestinationRule> rule = in.scope().destinationRule(in.proxy(), d.getHost()).map(r -> r.rule());
    if (rule.isEmpty()) {
      return Optional.empty();
    }
    TrafficPolicy top = rule.get().getTrafficPolicy();
    LoadBalancerSettings.ConsistentHashLB hash = consistentHash(top.getLoadBalancer());
    LoadBalancerSettings.ConsistentHashLB portHash = portLevel(d, top.getPortLevelSettingsList());
    LoadBalancerSettings.ConsistentHashLB subsetHash = null;
    LoadBalancerSettings.ConsistentHashLB subsetPortHash = null;
    for (Subset s : rule.get().getSubsetsList()) {
      if (s.getName().equals(d.getSubset())) {
        subsetHash = consistentHash(s.getTrafficPolicy().getLoadBalancer());
        subsetPortHash = portLevel(d, s.getTrafficPolicy().getPortLevelSettingsList());
        break;
      }
    }
    if (subsetPortHash != null) {
      hash = subsetPortHash;
    } else if (subsetHash != null) {
      hash = subsetHash;
    } else if (portHash != null) {
      hash = portHash;
    }
    return Optional.ofNullable(hash);
  }

  /** The consistent hash of a service port without a VirtualService (upstream's {@code hashForService}). */
  static Optional<LoadBalancerSettings.ConsistentHashLB> forService(ProxyInputs in, String host, int port) {
    Optional<DestinationRule> rule = in.scope().destinationRule(in.proxy(), host).map(r -> r.rule());
    if (rule.isEmpty()) {
      return Optional.empty();
    }
    LoadBalancerSettings.ConsistentHashLB hash = consistentHash(rule.get().getTrafficPolicy().getLoadBalancer());
    for (TrafficPolicy.PortTrafficPolicy p : rule.get().getTrafficPolicy().getPortLevelSettingsList()) {
      if (p.getPort().getNumber() == port) {
        LoadBalancerSettings.ConsistentHashLB h = consistentHash(p.getLoadBalancer());
        if (h != null) {
          hash = h;
        }
        break;
      }
    }
    return Optional.ofNullable(hash);
  }

  /** The Envoy hash policy for a consistent hash; empty for a hash key Envoy routes do not carry. */
  static Optional<RouteAction.HashPolicy> toHashPolicy(LoadBalancerSettings.ConsistentHashLB hash) {
    RouteAction.HashPolicy.Builder out = RouteAction.HashPolicy.newBuilder();
    switch (hash.getHashKeyCase()) {
      case HTTP_HEADER_NAME -> out.getHeaderBuilder().setHeaderName(hash.getHttpHeaderName());
      case HTTP_COOKIE -> {
        LoadBalancerSettings.ConsistentHashLB.HTTPCookie c = hash.getHttpCookie();
        RouteAction.HashPolicy.Cookie.Builder cookie = out.getCookieBuilder().setName(c.getName()).setPath(c.getPath());
        if (c.hasTtl()) {
          cookie.setTtl(c.getTtl());
        }
        c.getAttributesList().forEach(a -> cookie.addAttributes(
            RouteAction.HashPolicy.CookieAttribute.newBuilder().setName(a.getName()).setValue(a.getValue())));
      }
      case USE_SOURCE_IP -> out.getConnectionPropertiesBuilder().setSourceIp(hash.getUseSourceIp());
      case HTTP_QUERY_PARAMETER_NAME -> out.getQueryParameterBuilder().setName(hash.getHttpQueryParameterName());
      default -> {
        return Optional.empty();
      }
    }
    return Optional.of(out.build());
  }

  private static LoadBalancerSettings.ConsistentHashLB consistentHash(LoadBalancerSettings lb) {
    return lb.getLbPolicyCase() == LoadBalancerSettings.LbPolicyCase.CONSISTENT_HASH ? lb.getConsistentHash() : null;
  }

  private static LoadBalancerSettings.ConsistentHashLB portLevel(Destination d,
      List<TrafficPolicy.PortTrafficPolicy> settings) {
    if (!d.hasPort()) {
      return null;
    }
    for (TrafficPolicy.PortTrafficPolicy p : settings) {
      if (p.getPort().getNumber() == d.getPort().getNumber()) {
        return consistentHash(p.getLoadBalancer());
      }
    }
    return null;
  }
}
