package dev.istiod.serviceregistry;

import dev.istiod.model.Endpoint;
import dev.istiod.model.Locality;
import java.util.Map;
import java.util.Objects;

/**
 * A workload another registry knows (today a Kubernetes Pod) that a ServiceEntry's
 * {@code workloadSelector} may select, as upstream's {@code model.WorkloadInstance}. It carries
 * what the selecting registry needs to build the workload's endpoints itself, so that registry
 * never depends on where the workload came from.
 *
 * @param name the workload's name in its namespace (the Pod name)
 * @param address the primary IP (upstream uses the first IP unless dual-stack is enabled)
 * @param labels what selectors match and endpoints carry: the workload's own labels plus the
 *     topology labels upstream adds (region, zone, subzone, cluster, node hostname, network)
 * @param serviceAccount the Kubernetes service account name, not the SPIFFE id: the selecting
 *     registry builds the identity with its trust domain, as it does for WorkloadEntries
 * @param tlsMode from the {@code security.istio.io/tlsMode} label ({@code istio} or not)
 * @param workloadName the owning workload (Deployment...) as endpoints name it
 * @param portMap named container ports, by name: they override a ServiceEntry port's target
 *     port when the names agree
 */
public record WorkloadInstance(
    String name,
    String namespace,
    String address,
    Map<String, String> labels,
    String serviceAccount,
    Locality locality,
    String network,
    Endpoint.TlsMode tlsMode,
    String workloadName,
    Map<String, Integer> portMap) {

  public WorkloadInstance {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(address, "address");
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    serviceAccount = serviceAccount == null ? "" : serviceAccount;
    locality = locality == null ? Locality.NONE : locality;
    network = network == null ? "" : network;
    tlsMode = tlsMode == null ? Endpoint.TlsMode.DISABLED : tlsMode;
    workloadName = workloadName == null ? "" : workloadName;
    portMap = portMap == null ? Map.of() : Map.copyOf(portMap);
  }
}
