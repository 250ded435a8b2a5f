package dev.istiod.serviceregistry.kube;

import dev.istiod.model.Locality;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the cluster says about one Pod's workload: what istiod needs to give a connecting sidecar
 * its identity and labels, and to describe the Pod's endpoints.
 *
 * @param labels the Pod's own labels
 * @param serviceAccount the Kubernetes service account name (not the SPIFFE id); {@code default}
 *     when the Pod names none, as the API server would fill in
 * @param nodeName the node the Pod is scheduled on; empty before scheduling
 * @param locality from the Pod's {@code istio-locality} label, else its node's topology labels
 * @param ips the Pod's IPs, first the primary one (dual-stack pods have two)
 * @param network from the Pod's {@code topology.istio.io/network} label, else its namespace's
 * @param workloadName the owning workload (Deployment, CronJob...), else the Pod name
 * @param containerPorts the named ports of its containers (and native sidecars), to resolve a
 *     Service's named {@code targetPort}
 * @param workloadLabels the labels plus the topology labels upstream adds (region, zone, subzone,
 *     cluster, node hostname, network): what endpoints carry and a proxy's labels should be
 */
public record PodInfo(
    String name,
    String namespace,
    Map<String, String> labels,
    String serviceAccount,
    String nodeName,
    Locality locality,
    List<String> ips,
    String network,
    String workloadName,
    List<ContainerPort> containerPorts,
    Map<String, String> workloadLabels) {

  /** A named container port; {@code protocol} is Kubernetes' (TCP, UDP, SCTP). */
  public record ContainerPort(String name, int port, String protocol) {
    public ContainerPort {
      name = name == null ? "" : name;
      protocol = protocol == null || protocol.isEmpty() ? "TCP" : protocol;
    }
  }

  public PodInfo {
    Objects.requireNonNull(name, "name");
    namespace = namespace == null ? "" : namespace;
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    serviceAccount = serviceAccount == null ? "" : serviceAccount;
    nodeName = nodeName == null ? "" : nodeName;
    locality = locality == null ? Locality.NONE : locality;
    ips = ips == null ? List.of() : List.copyOf(ips);
    network = network == null ? "" : network;
    workloadName = workloadName == null ? "" : workloadName;
    containerPorts = containerPorts == null ? List.of() : List.copyOf(containerPorts);
    workloadLabels = workloadLabels == null ? Map.of() : Map.copyOf(workloadLabels);
  }

  /** The SPIFFE identity of the Pod's service account in a trust domain. */
  public String spiffeId(String trustDomain) {
    String td = trustDomain == null || trustDomain.isEmpty() ? "cluster.local" : trustDomain;
    return "spiffe://" + td + "/ns/" + namespace + "/sa/" + serviceAccount;
  }
}
