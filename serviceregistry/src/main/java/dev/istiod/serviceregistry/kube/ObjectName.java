package dev.istiod.serviceregistry.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Objects;

/** A namespaced Kubernetes object's identity, as the informers' {@code namespace/name} keys. */
record ObjectName(String namespace, String name) implements Comparable<ObjectName> {
  ObjectName {
    namespace = namespace == null ? "" : namespace;
    Objects.requireNonNull(name, "name");
  }

  static ObjectName of(HasMetadata object) {
    return new ObjectName(object.getMetadata().getNamespace(), object.getMetadata().getName());
  }

  @Override
  public int compareTo(ObjectName o) {
    int c = namespace.compareTo(o.namespace);
    return c != 0 ? c : name.compareTo(o.name);
  }

  @Override
  public String toString() {
    return namespace + "/" + name;
  }
}
