package dev.istiod.serviceregistry.kube;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The part of a Pod the registry reads ({@link PodConverter}, {@link PodWorkloads}), copied out of the
 * informer's full object so that the cache keeps only that: a real Pod carries some thirty nested objects
 * (container specs, statuses, tolerations, probes, volumes ...) and their strings, and with 2,000 Pods they were
 * the largest part of istiod's heap at rest. Kept: name, namespace, labels, generateName, owner references,
 * deletion timestamp, resourceVersion and uid; node name and service account; the containers' named ports and
 * the native sidecars' (init containers that always restart); phase, IPs and the {@code Ready} condition.
 * A field read from a Pod elsewhere in this package must be kept here too (LeanPodTest compares the two).
 *
 * <p>Strings that repeat across Pods (label keys and values, namespace, node, service account) are interned, so
 * the cache holds one copy of each.
 */
final class LeanPod {
  private LeanPod() {}

  /** A new Pod with only the fields above; null stays null. */
  static Pod of(Pod pod) {
    if (pod == null) {
      return null;
    }
    Pod lean = new Pod();
    lean.setApiVersion(pod.getApiVersion());
    lean.setKind(pod.getKind());
    lean.setMetadata(metadata(pod.getMetadata()));
    lean.setSpec(spec(pod.getSpec()));
    lean.setStatus(status(pod.getStatus()));
    return lean;
  }

  private static ObjectMeta metadata(ObjectMeta meta) {
    if (meta == null) {
      return null;
    }
    ObjectMeta lean = new ObjectMeta();
    lean.setName(meta.getName());
    lean.setNamespace(intern(meta.getNamespace()));
    lean.setGenerateName(meta.getGenerateName());
    lean.setResourceVersion(meta.getResourceVersion());
    lean.setUid(meta.getUid());
    lean.setDeletionTimestamp(meta.getDeletionTimestamp());
    if (meta.getLabels() != null) {
      Map<String, String> labels = new HashMap<>(meta.getLabels().size() * 4 / 3 + 1);
      meta.getLabels().forEach((k, v) -> labels.put(intern(k), intern(v)));
      lean.setLabels(labels);
    }
    if (meta.getOwnerReferences() != null && !meta.getOwnerReferences().isEmpty()) {
      List<OwnerReference> owners = new ArrayList<>(meta.getOwnerReferences().size());
      for (OwnerReference ref : meta.getOwnerReferences()) {
        if (ref != null) {
          OwnerReference o = new OwnerReference();
          o.setKind(intern(ref.getKind()));
          o.setName(ref.getName());
          o.setController(ref.getController());
          owners.add(o);
        }
      }
      lean.setOwnerReferences(owners);
    }
    return lean;
  }

  private static PodSpec spec(PodSpec spec) {
    if (spec == null) {
      return null;
    }
    PodSpec lean = new PodSpec();
    lean.setNodeName(intern(spec.getNodeName()));
    lean.setServiceAccountName(intern(spec.getServiceAccountName()));
    lean.setContainers(containers(spec.getContainers(), false));
    lean.setInitContainers(containers(spec.getInitContainers(), true));
    return lean;
  }

  /** Containers with named ports (for init containers: only native sidecars), each keeping just those ports. */
  private static List<Container> containers(List<Container> containers, boolean init) {
    if (containers == null) {
      return null;
    }
    List<Container> out = new ArrayList<>();
    for (Container c : containers) {
      if (c == null || c.getPorts() == null || (init && !"Always".equals(c.getRestartPolicy()))) {
        continue;
      }
      List<ContainerPort> ports = new ArrayList<>();
      for (ContainerPort p : c.getPorts()) {
        if (p != null && p.getName() != null && !p.getName().isEmpty()) {
          ContainerPort port = new ContainerPort();
          port.setName(intern(p.getName()));
          port.setContainerPort(p.getContainerPort());
          port.setProtocol(intern(p.getProtocol()));
          ports.add(port);
        }
      }
      if (!ports.isEmpty()) {
        Container lean = new Container();
        lean.setRestartPolicy(init ? c.getRestartPolicy() : null);
        lean.setPorts(ports);
        out.add(lean);
      }
    }
    return out;
  }

  private static PodStatus status(PodStatus status) {
    if (status == null) {
      return null;
    }
    PodStatus lean = new PodStatus();
    lean.setPhase(intern(status.getPhase()));
    lean.setPodIP(status.getPodIP());
    if (status.getPodIPs() != null) {
      List<PodIP> ips = new ArrayList<>(status.getPodIPs().size());
      for (PodIP ip : status.getPodIPs()) {
        if (ip != null) {
          ips.add(new PodIP(ip.getIp()));
        }
      }
      lean.setPodIPs(ips);
    }
    if (status.getConditions() != null) {
      for (PodCondition c : status.getConditions()) {
        if (c != null && "Ready".equals(c.getType())) { // the first, as PodWorkloads.ready reads it
          PodCondition ready = new PodCondition();
          ready.setType("Ready");
          ready.setStatus(intern(c.getStatus()));
          lean.setConditions(List.of(ready));
          break;
        }
      }
    }
    return lean;
  }

  private static String intern(String s) {
    return s == null ? null : s.intern();
  }
}
