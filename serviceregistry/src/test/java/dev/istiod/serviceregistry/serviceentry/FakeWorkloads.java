package dev.istiod.serviceregistry.serviceentry;

import dev.istiod.serviceregistry.WorkloadInstance;
import dev.istiod.serviceregistry.WorkloadInstances;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** Another registry's workloads, changed by tests; listeners are told synchronously, as the contract says. */
final class FakeWorkloads implements WorkloadInstances {
  private final Map<String, WorkloadInstance> byKey = new TreeMap<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();

  @Override
  public synchronized List<WorkloadInstance> list() {
    return List.copyOf(byKey.values());
  }

  @Override
  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  void put(WorkloadInstance wi) {
    synchronized (this) {
      byKey.put(wi.namespace() + "/" + wi.name(), wi);
    }
    listeners.forEach(l -> l.changed(wi.namespace(), wi.name(), wi));
  }

  void remove(String namespace, String name) {
    synchronized (this) {
      byKey.remove(namespace + "/" + name);
    }
    listeners.forEach(l -> l.changed(namespace, name, null));
  }
}
