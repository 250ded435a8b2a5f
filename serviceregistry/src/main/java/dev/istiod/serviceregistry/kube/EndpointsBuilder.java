package dev.istiod.serviceregistry.kube;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.model.Endpoint;
import dev.istiod.model.Locality;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the EndpointSlices of one Service into model endpoints, as upstream's
 * {@code endpointslice.go} and {@code endpoint_builder.go}: one endpoint per address and slice
 * port, health from the slice's conditions, identity, labels, locality and TLS mode from the Pod
 * behind the address.
 *
 * <p>An address whose {@code targetRef} names a Pod the registry has not seen yet is left out
 * (sending it without its identity would be wrong, as upstream reasons); the {@link Result} lists
 * every Pod reference so that the Pod's arrival rebuilds the Service's endpoints.
 */
final class EndpointsBuilder {
  private static final Logger log = LoggerFactory.getLogger(EndpointsBuilder.class);

  /** The Pods the builder can see. */
  interface PodLookup {
    Optional<PodInfo> byName(ObjectName pod);

    /** A Pod owning this IP in this namespace (endpoints without a targetRef, e.g. managed by hand). */
    Optional<PodInfo> byIp(String namespace, String ip);
  }

  /**
   * @param endpoints deduplicated by (address, port name), in slice-name order
   * @param podRefs the references whose Pod change must rebuild these endpoints: {@link #podRef}
   *     and {@link #ipRef} keys
   */
  record Result(List<Endpoint> endpoints, Set<String> podRefs) {
    static final Result EMPTY = new Result(List.of(), Set.of());

    Result {
      endpoints = List.copyOf(endpoints);
      podRefs = Set.copyOf(podRefs);
    }
  }

  private final PodConverter pods;
  private final Supplier<MeshConfig> mesh;

  EndpointsBuilder(PodConverter pods, Supplier<MeshConfig> mesh) {
    this.pods = pods;
    this.mesh = mesh;
  }

  static String podRef(ObjectName pod) {
    return "pod:" + pod;
  }

  static String ipRef(String namespace, String ip) {
    return "ip:" + namespace + "/" + ip;
  }

  Result build(KubeService svc, Collection<EndpointSlice> slices, PodLookup lookup) {
    if (svc.isExternalName()) {
      return externalName(svc);
    }
    List<Endpoint> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    Set<String> refs = new TreeSet<>();
    List<EndpointSlice> ordered = slices.stream()
        .sorted(Comparator.comparing(s -> s.getMetadata().getName())).toList();
    for (EndpointSlice slice : ordered) {
      if ("FQDN".equals(slice.getAddressType())) {
        continue; // upstream does not support FQDN slices either
      }
      String namespace = slice.getMetadata().getNamespace();
      for (var e : PodConverter.nullSafe(slice.getEndpoints())) {
        Endpoint.Health health = health(e.getConditions());
        ObjectReference target = e.getTargetRef();
        boolean expectsPod = target != null && "Pod".equals(target.getKind()) && target.getName() != null;
        for (String address : PodConverter.nullSafe(e.getAddresses())) {
          if (address == null || address.isEmpty()) {
            continue;
          }
          Optional<PodInfo> pod;
          if (expectsPod) {
            ObjectName podName = new ObjectName(
                target.getNamespace() == null || target.getNamespace().isEmpty() ? namespace : target.getNamespace(),
                target.getName());
            refs.add(podRef(podName));
            pod = lookup.byName(podName);
            if (pod.isEmpty()) {
              log.debug("{}: endpoint {} waits for Pod {}", svc.name(), address, podName);
              continue;
            }
          } else {
            refs.add(ipRef(namespace, address));
            pod = lookup.byIp(namespace, address);
          }
          addPorts(slice, address, health, pod.orElse(null), seen, out);
        }
      }
    }
    return new Result(out, refs);
  }

  private void addPorts(EndpointSlice slice, String address, Endpoint.Health health, PodInfo pod,
      Set<String> seen, List<Endpoint> out) {
    for (EndpointPort port : PodConverter.nullSafe(slice.getPorts())) {
      Integer number = port == null ? null : port.getPort();
      if (number == null || number < 1 || number > 65535) {
        continue; // a port-less slice (headless Service without ports) routes nothing
      }
      String portName = PodConverter.nullToEmpty(port.getName());
      // An endpoint can sit in two slices while it moves between them; the first one wins.
      if (seen.add(address + "|" + portName)) {
        out.add(endpoint(address, number, portName, health, pod));
      }
    }
  }

  private Endpoint endpoint(String address, int port, String portName, Endpoint.Health health, PodInfo pod) {
    if (pod == null) {
      return new Endpoint(address, port, portName, pods.workloadLabels(Map.of(), Locality.NONE, "", ""), "",
          Locality.NONE, health, Endpoint.TlsMode.DISABLED, 0, "", "");
    }
    Endpoint.TlsMode tls = "istio".equals(pod.labels().get(KubeLabels.TLS_MODE))
        ? Endpoint.TlsMode.ISTIO : Endpoint.TlsMode.DISABLED;
    return new Endpoint(address, port, portName, pod.workloadLabels(), pod.spiffeId(mesh.get().getTrustDomain()),
        pod.locality(), health, tls, 0, pod.network(), pod.workloadName());
  }

  /** An ExternalName Service's one endpoint per port: the external name, resolved by the proxy. */
  private static Result externalName(KubeService svc) {
    List<Endpoint> out = new ArrayList<>();
    for (KubeService.PortSpec p : svc.ports()) {
      out.add(new Endpoint(svc.externalName(), p.model().port(), p.model().name(), svc.service().labels(), "",
          Locality.NONE, Endpoint.Health.HEALTHY, Endpoint.TlsMode.DISABLED, 0, "", ""));
    }
    return new Result(out, Set.of());
  }

  /**
   * Upstream's reading of the conditions: ready (or unknown) is healthy; otherwise terminating
   * (or unknown) is terminating; otherwise unhealthy. Proxies get only healthy endpoints unless
   * PILOT_SEND_UNHEALTHY_ENDPOINTS, which the EDS builder decides.
   */
  static Endpoint.Health health(EndpointConditions c) {
    if (c == null || c.getReady() == null || c.getReady()) {
      return Endpoint.Health.HEALTHY;
    }
    if (c.getTerminating() == null || c.getTerminating()) {
      return Endpoint.Health.TERMINATING;
    }
    return Endpoint.Health.UNHEALTHY;
  }
}
