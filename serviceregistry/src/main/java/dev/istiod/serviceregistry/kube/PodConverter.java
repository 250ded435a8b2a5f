package dev.istiod.serviceregistry.kube;

import dev.istiod.model.Locality;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads Pods and Nodes as upstream's pod cache and endpoint builder do: IPs, locality, workload
 * name, identity, and the topology labels endpoints carry. Stateless apart from the cluster id.
 */
final class PodConverter {
  /** Upstream's heuristic: a Job named {@code <cronjob>-<8..10 digit timestamp>} belongs to a CronJob. */
  private static final Pattern CRON_JOB_NAME = Pattern.compile("(.+)-\\d{8,10}$");
  private static final String LOCALITY_LABEL_GA = "topology.istio.io/locality";

  private final String clusterId;

  PodConverter(String clusterId) {
    this.clusterId = clusterId == null ? "" : clusterId;
  }

  /**
   * @param nodeLocality the locality of the Pod's node (NONE when unknown)
   * @param namespaceNetwork the {@code topology.istio.io/network} label of the Pod's namespace
   */
  PodInfo convert(Pod pod, Locality nodeLocality, String namespaceNetwork) {
    Map<String, String> labels = labels(pod);
    Locality locality = podLocality(labels).orElse(nodeLocality);
    String network = labels.getOrDefault(KubeLabels.NETWORK, namespaceNetwork == null ? "" : namespaceNetwork);
    String nodeName = pod.getSpec() == null ? "" : nullToEmpty(pod.getSpec().getNodeName());
    return new PodInfo(pod.getMetadata().getName(), pod.getMetadata().getNamespace(), labels,
        serviceAccount(pod), nodeName, locality, ips(pod), network, workloadName(pod), containerPorts(pod),
        workloadLabels(labels, locality, nodeName, network));
  }

  /**
   * The labels upstream's {@code AugmentLabels} gives endpoints and proxies: the workload's own plus
   * region, zone, subzone, cluster, node hostname and network, so that subsets and
   * {@code sourceLabels} can select by them.
   */
  Map<String, String> workloadLabels(Map<String, String> labels, Locality locality, String nodeName, String network) {
    Map<String, String> out = new HashMap<>(labels);
    putIfSet(out, KubeLabels.REGION, locality.region());
    putIfSet(out, KubeLabels.ZONE, locality.zone());
    putIfSet(out, KubeLabels.SUBZONE, locality.subzone());
    putIfSet(out, KubeLabels.CLUSTER, clusterId);
    putIfSet(out, KubeLabels.HOSTNAME, nodeName);
    if (!network.isEmpty()) {
      out.putIfAbsent(KubeLabels.NETWORK, network);
    }
    return out;
  }

  /**
   * Whether the Pod can own its IPs in the IP index: it has IPs, is not being deleted and has not
   * finished (Succeeded/Failed pods may have handed their IP to another Pod).
   */
  static boolean addressable(Pod pod) {
    if (pod.getMetadata().getDeletionTimestamp() != null || ips(pod).isEmpty()) {
      return false;
    }
    String phase = pod.getStatus() == null ? "" : nullToEmpty(pod.getStatus().getPhase());
    return !phase.equals("Succeeded") && !phase.equals("Failed");
  }

  /** {@code status.podIPs}, else {@code status.podIP}; the primary IP first. */
  static List<String> ips(Pod pod) {
    if (pod.getStatus() == null) {
      return List.of();
    }
    Set<String> out = new LinkedHashSet<>();
    String primary = pod.getStatus().getPodIP();
    if (primary != null && !primary.isEmpty()) {
      out.add(primary);
    }
    List<PodIP> podIps = pod.getStatus().getPodIPs();
    if (podIps != null) {
      for (PodIP ip : podIps) {
        if (ip != null && ip.getIp() != null && !ip.getIp().isEmpty()) {
          out.add(ip.getIp());
        }
      }
    }
    return List.copyOf(out);
  }

  /** Region/zone/subzone from a Node's topology labels (GA names first, then the beta ones). */
  static Locality nodeLocality(Node node) {
    Map<String, String> labels = node.getMetadata().getLabels();
    if (labels == null) {
      return Locality.NONE;
    }
    String region = firstSet(labels.get(KubeLabels.REGION), labels.get(KubeLabels.REGION_BETA));
    String zone = firstSet(labels.get(KubeLabels.ZONE), labels.get(KubeLabels.ZONE_BETA));
    return new Locality(region, zone, labels.getOrDefault(KubeLabels.SUBZONE, ""));
  }

  /** A locality label on the Pod itself overrides its node's ({@code a.b.c} or {@code a/b/c}). */
  private static Optional<Locality> podLocality(Map<String, String> labels) {
    String label = firstSet(labels.get(LOCALITY_LABEL_GA), labels.get(KubeLabels.LOCALITY));
    if (label.isEmpty()) {
      return Optional.empty();
    }
    String[] parts = (label.contains("/") ? label : label.replace('.', '/')).split("/", 3);
    return Optional.of(new Locality(parts[0], parts.length > 1 ? parts[1] : "", parts.length > 2 ? parts[2] : ""));
  }

  private static String serviceAccount(Pod pod) {
    String sa = pod.getSpec() == null ? null : pod.getSpec().getServiceAccountName();
    return sa == null || sa.isEmpty() ? "default" : sa;
  }

  /**
   * The workload a Pod belongs to, by upstream's heuristic: the {@code service.istio.io/workload-name}
   * label; else its controller (a ReplicaSet with the pod-template-hash suffix stands for its
   * Deployment, a Job named like a CronJob's for the CronJob); else the Pod's name.
   */
  static String workloadName(Pod pod) {
    Map<String, String> labels = labels(pod);
    String explicit = labels.get(KubeLabels.WORKLOAD_NAME);
    if (explicit != null) {
      return explicit;
    }
    String name = pod.getMetadata().getName();
    String generateName = pod.getMetadata().getGenerateName();
    if (generateName == null || generateName.isEmpty()) {
      return name;
    }
    OwnerReference controller = null;
    for (OwnerReference ref : nullSafe(pod.getMetadata().getOwnerReferences())) {
      if (Boolean.TRUE.equals(ref.getController())) {
        controller = ref;
        break;
      }
    }
    if (controller == null || controller.getName() == null || controller.getName().isEmpty()) {
      return name;
    }
    String owner = controller.getName();
    String kind = nullToEmpty(controller.getKind());
    String hash = labels.get("pod-template-hash");
    String rolloutHash = labels.get("rollouts-pod-template-hash");
    if (kind.equals("ReplicaSet") && hash != null && !hash.isEmpty() && owner.endsWith(hash)) {
      return trimSuffix(owner, "-" + hash);
    }
    if (kind.equals("ReplicaSet") && rolloutHash != null && !rolloutHash.isEmpty() && owner.endsWith(rolloutHash)) {
      return trimSuffix(owner, "-" + rolloutHash);
    }
    if (kind.equals("ReplicationController") && labels.containsKey("deploymentconfig")) {
      return labels.get("deploymentconfig");
    }
    if (kind.equals("Job")) {
      Matcher m = CRON_JOB_NAME.matcher(owner);
      if (m.matches()) {
        return m.group(1);
      }
    }
    return owner;
  }

  /** Named ports of the containers, then of native sidecars (init containers that always restart). */
  private static List<PodInfo.ContainerPort> containerPorts(Pod pod) {
    if (pod.getSpec() == null) {
      return List.of();
    }
    List<PodInfo.ContainerPort> out = new ArrayList<>();
    for (Container c : nullSafe(pod.getSpec().getContainers())) {
      addPorts(c, out);
    }
    for (Container c : nullSafe(pod.getSpec().getInitContainers())) {
      if ("Always".equals(c.getRestartPolicy())) {
        addPorts(c, out);
      }
    }
    return out;
  }

  private static void addPorts(Container c, List<PodInfo.ContainerPort> out) {
    for (var p : nullSafe(c.getPorts())) {
      if (p.getName() != null && !p.getName().isEmpty() && p.getContainerPort() != null) {
        out.add(new PodInfo.ContainerPort(p.getName(), p.getContainerPort(), p.getProtocol()));
      }
    }
  }

  static Map<String, String> labels(Pod pod) {
    Map<String, String> labels = pod.getMetadata().getLabels();
    return labels == null ? Map.of() : labels;
  }

  private static String trimSuffix(String s, String suffix) {
    return s.endsWith(suffix) ? s.substring(0, s.length() - suffix.length()) : s;
  }

  private static void putIfSet(Map<String, String> out, String key, String value) {
    if (value != null && !value.isEmpty()) {
      out.put(key, value);
    }
  }

  private static String firstSet(String a, String b) {
    return a != null && !a.isEmpty() ? a : nullToEmpty(b);
  }

  static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }

  static <T> List<T> nullSafe(List<T> list) {
    return list == null ? List.of() : list;
  }
}
