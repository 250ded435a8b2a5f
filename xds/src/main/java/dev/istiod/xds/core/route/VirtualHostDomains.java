package dev.istiod.xds.core.route;

import dev.istiod.model.Resolution;
import dev.istiod.model.Service;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code Host} header values a service answers to from a given proxy, as upstream's
 * {@code generateVirtualHostDomains}. Sidecar route configurations set
 * {@code ignore_port_in_host_matching}, so domains carry no {@code :port}: {@code reviews:9080}
 * matches {@code reviews}. For a Kubernetes-style hostname seen from the same namespace this is
 * the FQDN, its absolute form, {@code reviews}, {@code reviews.default.svc} and
 * {@code reviews.default}; from another namespace the short name is left out; other hostnames get
 * only the FQDN and its absolute form. VIPs come last.
 */
final class VirtualHostDomains {
  /**
   * @param domains all domains, in order
   * @param expanded the short forms derived from the proxy's DNS domain (dropped when another
   *     service has that exact FQDN)
   */
  record Result(List<String> domains, List<String> expanded) {}

  private VirtualHostDomains() {}

  static Result of(Service service, String proxyDnsDomain) {
    List<String> domains = new ArrayList<>();
    String host = service.hostname();
    List<String> alt = altHosts(host, proxyDnsDomain);
    domains.add(ipv6Compliant(host));
    domains.addAll(alt);
    if (service.resolution() == Resolution.PASSTHROUGH && service.registry() == Service.Registry.KUBERNETES) {
      List<String> copy = List.copyOf(domains);
      copy.forEach(d -> domains.add("*." + d));
    }
    for (String vip : service.addresses()) {
      if (!vip.isEmpty() && !vip.equals("0.0.0.0") && !vip.contains("/")) {
        domains.add(ipv6Compliant(vip));
      }
    }
    return new Result(domains, alt);
  }

  /** Upstream's {@code GenerateAltVirtualHosts} without ports (absolute FQDN form enabled). */
  static List<String> altHosts(String host, String proxyDomain) {
    List<String> out = new ArrayList<>();
    if (!looksLikeIp(host)) {
      out.add(host + ".");
    }
    if (proxyDomain.contains(".svc.")) {
      if (host.endsWith(proxyDomain.substring(proxyDomain.indexOf(".svc.")))) {
        out.addAll(kubernetesAltHosts(host, proxyDomain));
      }
      return out;
    }
    String[] h = host.split("\\.");
    String[] p = proxyDomain.split("\\.");
    int shared = 0;
    while (shared < Math.min(h.length, p.length) && h[h.length - 1 - shared].equals(p[p.length - 1 - shared])) {
      shared++;
    }
    if (shared == 0 || proxyDomain.isEmpty()) {
      return out;
    }
    String unique = String.join(".", java.util.Arrays.copyOfRange(h, 0, h.length - shared));
    out.add(unique);
    if (h.length - shared == 2) {
      out.add(unique + "." + p[p.length - shared]);
    }
    return out;
  }

  private static List<String> kubernetesAltHosts(String host, String proxyDomain) {
    String proxyNs = proxyDomain.substring(0, proxyDomain.indexOf(".svc."));
    int ih = host.indexOf(".svc.");
    if (ih <= 0) {
      return List.of();
    }
    int ns = host.indexOf('.');
    if (ns + 1 >= host.length() || ns + 1 > ih) {
      return List.of();
    }
    if (host.substring(ns + 1, ih).equals(proxyNs)) {
      return List.of(host.substring(0, ns), host.substring(0, ih) + ".svc", host.substring(0, ih));
    }
    return List.of(host.substring(0, ih), host.substring(0, ih) + ".svc");
  }

  static String ipv6Compliant(String host) {
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  private static boolean looksLikeIp(String s) {
    return s.contains(":") || s.matches("\\d{1,3}(\\.\\d{1,3}){3}");
  }
}
