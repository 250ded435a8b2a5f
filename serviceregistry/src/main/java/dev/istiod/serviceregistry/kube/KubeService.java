package dev.istiod.serviceregistry.kube;

import dev.istiod.model.Resolution;
import dev.istiod.model.Service;
import dev.istiod.model.ServicePort;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A converted Kubernetes Service: the model {@link Service} plus what the model does not carry but
 * the registry needs (the Pod selector, each port's {@code targetPort} as written, the type).
 * Equality of two versions says whether a change needs a push.
 *
 * @param selector the Pod selector; empty selects no Pod (endpoints then come from slices only)
 * @param externalName the DNS name of an ExternalName Service, else empty
 */
record KubeService(
    ObjectName name, Service service, Map<String, String> selector, List<PortSpec> ports, String type,
    String externalName) {

  /**
   * One Service port as written.
   *
   * @param protocol Kubernetes' transport protocol (TCP, UDP, SCTP)
   * @param targetPortNumber the numeric {@code targetPort}, 0 when it names a container port
   * @param targetPortName the named {@code targetPort}, empty when numeric
   */
  record PortSpec(ServicePort model, String protocol, int targetPortNumber, String targetPortName) {
    PortSpec {
      Objects.requireNonNull(model, "model");
      protocol = protocol == null || protocol.isEmpty() ? "TCP" : protocol;
      targetPortName = targetPortName == null ? "" : targetPortName;
    }
  }

  KubeService {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(service, "service");
    selector = selector == null ? Map.of() : Map.copyOf(selector);
    ports = List.copyOf(ports);
    type = type == null || type.isEmpty() ? "ClusterIP" : type;
    externalName = externalName == null ? "" : externalName;
  }

  boolean isExternalName() {
    return !externalName.isEmpty();
  }

  /** Headless: no VIP, proxies pass traffic through to the address the client picked. */
  boolean isHeadless() {
    return service.resolution() == Resolution.PASSTHROUGH;
  }

  /** Exported to no one ({@code exportTo: ~}): upstream keeps it but never pushes for it. */
  boolean hidden() {
    return service.visibility().exportTo().contains("~");
  }

  /** Upstream's selector match: an empty selector selects nothing. */
  boolean selects(Map<String, String> podLabels) {
    return !selector.isEmpty() && podLabels.entrySet().containsAll(selector.entrySet());
  }
}
