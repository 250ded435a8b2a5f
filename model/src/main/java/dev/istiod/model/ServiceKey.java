package dev.istiod.model;

import java.util.Objects;

/** A service's identity in the endpoint index: hostname plus the namespace that defined it. */
public record ServiceKey(String hostname, String namespace) implements Comparable<ServiceKey> {
  public ServiceKey {
    Objects.requireNonNull(hostname, "hostname");
    namespace = namespace == null ? "" : namespace;
  }

  @Override
  public int compareTo(ServiceKey o) {
    int c = hostname.compareTo(o.hostname);
    return c != 0 ? c : namespace.compareTo(o.namespace);
  }
}
