package dev.istiod.serviceregistry.kube;

import dev.istiod.model.Endpoint;
import dev.istiod.serviceregistry.WorkloadInstance;
import dev.istiod.serviceregistry.WorkloadInstances;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Pods other registries may select (ServiceEntry {@code workloadSelector}s), as upstream's
 * pod cache hands them to its workload handlers: only Pods that can serve (an IP, not finished,
 * not being deleted, and Ready), so a Pod that stops being ready leaves the ServiceEntries'
 * endpoints as it leaves its Services'. Written by the registry's event thread; read from any.
 */
final class PodWorkloads implements WorkloadInstances {
  private static final Logger log = LoggerFactory.getLogger(PodWorkloads.class);

  private final ConcurrentHashMap<ObjectName, WorkloadInstance> current = new ConcurrentHashMap<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();

  @Override
  public List<WorkloadInstance> list() {
    return current.values().stream()
        .sorted(Comparator.comparing(WorkloadInstance::namespace).thenComparing(WorkloadInstance::name))
        .toList();
  }

  @Override
  public void addListener(Listener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /**
   * Re-derives a Pod's workload instance from its raw object and what the registry made of it
   * (null for both = deleted); tells the listeners when that changed. Event thread only.
   */
  void refresh(ObjectName key, Pod pod, PodInfo info) {
    WorkloadInstance next = pod == null || info == null ? null : of(pod, info).orElse(null);
    WorkloadInstance previous = next == null ? current.remove(key) : current.put(key, next);
    if (Objects.equals(previous, next)) {
      return;
    }
    for (Listener l : listeners) {
      try {
        l.changed(key.namespace(), key.name(), next);
      } catch (RuntimeException e) {
        log.error("workload listener failed for Pod {}", key, e);
      }
    }
  }

  /** The Pod as a workload instance, if it can serve traffic. */
  static Optional<WorkloadInstance> of(Pod pod, PodInfo info) {
    if (!PodConverter.addressable(pod) || !ready(pod) || info.ips().isEmpty()) {
      return Optional.empty();
    }
    Endpoint.TlsMode tls = "istio".equals(info.labels().get(KubeLabels.TLS_MODE))
        ? Endpoint.TlsMode.ISTIO : Endpoint.TlsMode.DISABLED;
    return Optional.of(new WorkloadInstance(info.name(), info.namespace(), info.ips().get(0), info.workloadLabels(),
        info.serviceAccount(), info.locality(), info.network(), tls, info.workloadName(), portMap(pod)));
  }

  /** Upstream's readiness test: the Pod's {@code Ready} condition is {@code True}. */
  static boolean ready(Pod pod) {
    if (pod.getStatus() == null) {
      return false;
    }
    for (PodCondition c : PodConverter.nullSafe(pod.getStatus().getConditions())) {
      if (c != null && "Ready".equals(c.getType())) {
        return "True".equals(c.getStatus());
      }
    }
    return false;
  }

  /**
   * Named TCP ports of the Pod's containers (not its init containers), the first of a name
   * winning, as Kubernetes resolves a named port and upstream builds a workload's port map.
   */
  static Map<String, Integer> portMap(Pod pod) {
    Map<String, Integer> out = new HashMap<>();
    if (pod.getSpec() == null) {
      return out;
    }
    for (Container c : PodConverter.nullSafe(pod.getSpec().getContainers())) {
      for (ContainerPort p : PodConverter.nullSafe(c.getPorts())) {
        String protocol = p.getProtocol() == null ? "TCP" : p.getProtocol();
        if (p.getName() != null && !p.getName().isEmpty() && p.getContainerPort() != null && protocol.equals("TCP")) {
          out.putIfAbsent(p.getName(), p.getContainerPort());
        }
      }
    }
    return out;
  }
}
