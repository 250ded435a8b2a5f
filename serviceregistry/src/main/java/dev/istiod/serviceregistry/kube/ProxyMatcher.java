package dev.istiod.serviceregistry.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.istiod.model.Endpoint;
import dev.istiod.model.EndpointIndex;
import dev.istiod.model.Proxy;
import dev.istiod.model.ServiceTarget;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Associates a connecting proxy with its Pod and the Service ports that Pod implements, as
 * upstream's {@code GetProxyServiceTargets}: the Pod is found by the proxy's IPs in its namespace
 * (or by the {@code <pod>.<namespace>} in its id, when the Pod has no IP yet or shares it); the
 * Services are those in that namespace whose selector matches the Pod's labels, else those without a
 * selector whose endpoints list the Pod's IP. When the Pod is not
 * (yet) known, the proxy's own labels and {@code POD_PORTS} metadata stand in for it.
 *
 * <p>Reads only thread-safe views, so it runs on the xDS threads.
 */
final class ProxyMatcher {
  private static final Logger log = LoggerFactory.getLogger(ProxyMatcher.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final PodIndex pods;
  private final Function<String, List<KubeService>> servicesInNamespace;
  private final EndpointIndex endpoints;
  private final String clusterId;

  ProxyMatcher(PodIndex pods, Function<String, List<KubeService>> servicesInNamespace, EndpointIndex endpoints,
      String clusterId) {
    this.pods = pods;
    this.servicesInNamespace = servicesInNamespace;
    this.endpoints = endpoints;
    this.clusterId = clusterId;
  }

  Optional<PodInfo> podFor(Proxy proxy) {
    if (!inThisCluster(proxy)) {
      return Optional.empty();
    }
    String ns = proxy.configNamespace();
    Optional<ObjectName> named = nameFromId(proxy);
    for (String ip : proxy.ipAddresses()) {
      List<PodInfo> owners = pods.withIp(ip).stream()
          .filter(p -> ns.isEmpty() || p.namespace().equals(ns)).toList();
      if (owners.size() == 1) {
        return Optional.of(owners.get(0));
      }
      if (owners.size() > 1) {
        // Several Pods on one IP are host-network Pods; the proxy's id tells which one it is.
        Optional<PodInfo> byName = owners.stream()
            .filter(p -> named.isPresent() && named.get().name().equals(p.name())).findFirst();
        return Optional.of(byName.orElse(owners.get(0)));
      }
    }
    // No Pod owns the IP (not running yet, or finishing): accept the named Pod if it does not
    // belong to another address.
    return named.flatMap(pods::get)
        .filter(p -> p.ips().isEmpty() || p.ips().stream().anyMatch(proxy.ipAddresses()::contains));
  }

  List<ServiceTarget> targets(Proxy proxy) {
    if (!inThisCluster(proxy)) {
      return List.of();
    }
    Optional<PodInfo> pod = podFor(proxy);
    if (pod.isPresent()) {
      List<ServiceTarget> bySelector = targets(pod.get().namespace(), pod.get().labels(), pod.get().containerPorts());
      return bySelector.isEmpty() ? targetsByEndpoint(pod.get()) : bySelector;
    }
    if (proxy.labels().isEmpty() || proxy.configNamespace().isEmpty()) {
      return List.of();
    }
    return targets(proxy.configNamespace(), proxy.labels(), podPortsFromMetadata(proxy));
  }

  /**
   * Each port of each selecting Service, with the workload port it maps to; a Service that maps
   * two of its ports to the same workload port and protocol yields that target once (one inbound
   * listener per port), in the Service's port order.
   */
  List<ServiceTarget> targets(String namespace, Map<String, String> labels, List<PodInfo.ContainerPort> ports) {
    List<KubeService> services = servicesInNamespace.apply(namespace);
    NamespaceMemo memo = memos.get(namespace);
    if (memo == null || memo.services() != services) {
      memo = new NamespaceMemo(services, new ConcurrentHashMap<>());
      memos.put(namespace, memo);
    }
    Selection selection = new Selection(Map.copyOf(labels), List.copyOf(ports));
    List<ServiceTarget> known = memo.targets().get(selection);
    if (known != null) {
      return known;
    }
    List<ServiceTarget> out = match(services, labels, ports);
    if (memo.targets().size() >= MEMO_LIMIT) {
      memo.targets().clear();
    }
    memo.targets().put(selection, out);
    return out;
  }

  /**
   * The targets of a namespace's Services, remembered per Pod labels and ports for as long as the namespace's
   * Service list is the same object (the controller replaces it whole on every Service change): every generation
   * of every proxy asks, and a namespace with hundreds of Services would be walked for each.
   */
  private record NamespaceMemo(List<KubeService> services, ConcurrentHashMap<Selection, List<ServiceTarget>> targets) {}

  private record Selection(Map<String, String> labels, List<PodInfo.ContainerPort> ports) {}

  private static final int MEMO_LIMIT = 10_000;
  private final ConcurrentHashMap<String, NamespaceMemo> memos = new ConcurrentHashMap<>();

  private static List<ServiceTarget> match(List<KubeService> services, Map<String, String> labels,
      List<PodInfo.ContainerPort> ports) {
    List<ServiceTarget> out = new ArrayList<>();
    for (KubeService svc : services) {
      if (!svc.selects(labels)) {
        continue;
      }
      Set<String> seen = new HashSet<>();
      for (KubeService.PortSpec port : svc.ports()) {
        int target = targetPort(port, ports);
        if (target <= 0) {
          log.debug("{}: no container port named {} for port {}", svc.name(), port.targetPortName(),
              port.model().port());
          continue;
        }
        if (seen.add(target + "/" + port.model().protocol())) {
          out.add(new ServiceTarget(svc.service(), port.model(), target));
        }
      }
    }
    return List.copyOf(out);
  }

  /**
   * Upstream's fallback for a Pod no selector picks: Services without a selector (endpoints
   * managed by hand, e.g. headless) that list one of the Pod's IPs, on the port the endpoint names.
   */
  private List<ServiceTarget> targetsByEndpoint(PodInfo pod) {
    List<ServiceTarget> out = new ArrayList<>();
    for (KubeService svc : servicesInNamespace.apply(pod.namespace())) {
      if (!svc.selector().isEmpty() || svc.isExternalName()) {
        continue;
      }
      Set<String> seen = new HashSet<>();
      for (Endpoint e : endpoints.endpoints(svc.service().key())) {
        if (!pod.ips().contains(e.address())) {
          continue;
        }
        svc.service().portByName(e.servicePortName())
            .filter(port -> seen.add(e.port() + "/" + port.protocol()))
            .ifPresent(port -> out.add(new ServiceTarget(svc.service(), port, e.port())));
      }
    }
    return List.copyOf(out);
  }

  /** A numeric targetPort, or the container port with that name and the Service port's protocol. */
  static int targetPort(KubeService.PortSpec port, List<PodInfo.ContainerPort> containerPorts) {
    if (port.targetPortName().isEmpty()) {
      return port.targetPortNumber();
    }
    for (PodInfo.ContainerPort c : containerPorts) {
      if (c.name().equals(port.targetPortName()) && c.protocol().equals(port.protocol())) {
        return c.port();
      }
    }
    return 0;
  }

  private boolean inThisCluster(Proxy proxy) {
    String proxyCluster = proxy.metadata().clusterId();
    return proxyCluster.isEmpty() || clusterId.isEmpty() || proxyCluster.equals(clusterId);
  }

  /** Upstream's pod key from a proxy id: {@code <pod>.<namespace>}, if the namespace is the proxy's. */
  private static Optional<ObjectName> nameFromId(Proxy proxy) {
    int dot = proxy.id().indexOf('.');
    if (dot <= 0) {
      return Optional.empty();
    }
    String namespace = proxy.id().substring(dot + 1);
    if (!namespace.equals(proxy.configNamespace())) {
      return Optional.empty();
    }
    return Optional.of(new ObjectName(namespace, proxy.id().substring(0, dot)));
  }

  /** The injector's {@code POD_PORTS} metadata: a JSON list of the Pod's container ports. */
  static List<PodInfo.ContainerPort> podPortsFromMetadata(Proxy proxy) {
    String json = proxy.metadata().string("POD_PORTS");
    if (json.isEmpty()) {
      return List.of();
    }
    List<PodInfo.ContainerPort> out = new ArrayList<>();
    try {
      for (JsonNode p : JSON.readTree(json)) {
        if (p.hasNonNull("name") && p.path("containerPort").canConvertToInt()) {
          out.add(new PodInfo.ContainerPort(p.get("name").asText(), p.get("containerPort").asInt(),
              p.path("protocol").asText("TCP")));
        }
      }
    } catch (Exception e) {
      log.debug("{}: unreadable POD_PORTS metadata: {}", proxy.id(), e.getMessage());
    }
    return out;
  }
}
