package dev.istiod.serviceregistry;

import java.util.List;

/**
 * A source of {@link WorkloadInstance}s for other registries to select from: the seam through
 * which ServiceEntry {@code workloadSelector}s reach Kubernetes Pods without the ServiceEntry
 * registry depending on Kubernetes, as upstream's kube controller feeds the ServiceEntry
 * controller's workload instance handler.
 *
 * <p>Contract: the source updates what {@link #list()} returns before it tells listeners, so a
 * consumer that adds its listener and then lists misses nothing (it may see a change twice, which
 * must be harmless).
 */
public interface WorkloadInstances {
  /** No workloads: what a registry has when there is no cluster. */
  WorkloadInstances NONE = new WorkloadInstances() {
    @Override
    public List<WorkloadInstance> list() {
      return List.of();
    }

    @Override
    public void addListener(Listener listener) {}
  };

  /** Told of each change of one workload; {@code current} is null when it went away. */
  @FunctionalInterface
  interface Listener {
    void changed(String namespace, String name, WorkloadInstance current);
  }

  /** The workloads that can serve traffic now (addressable and ready). Any thread. */
  List<WorkloadInstance> list();

  /**
   * Registers a listener. It is called on the source's event thread, in order, once per change
   * of a workload (appearing, changing, or no longer able to serve); it must be quick.
   */
  void addListener(Listener listener);
}
