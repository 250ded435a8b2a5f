package dev.istiod.e2e;

import java.util.Map;

/**
 * Who the test Envoy says it is, the way pilot-agent fills the bootstrap node for a pod without iptables
 * (ISTIO-COMPAT §3): id {@code sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local} and string metadata.
 */
public record SidecarNode(String podName, String namespace, String ip, String istioVersion, Map<String, String> labels) {
  public SidecarNode {
    labels = Map.copyOf(labels);
  }

  public static SidecarNode client() {
    return new SidecarNode("client-1", "default", "127.0.0.1", "1.28.0", Map.of("app", "client", "version", "v1"));
  }

  /** {@code <pod>.<namespace>}, the proxy id istiod's debug endpoints take. */
  public String proxyId() {
    return podName + "." + namespace;
  }

  public String nodeId() {
    return nodeId("sidecar");
  }

  /** The node id of this workload as a proxy of {@code type} ({@code sidecar}, {@code router}). */
  String nodeId(String type) {
    return type + "~" + ip + "~" + proxyId() + "~" + namespace + ".svc.cluster.local";
  }

  public String workloadName() {
    return labels.getOrDefault("app", podName);
  }
}
