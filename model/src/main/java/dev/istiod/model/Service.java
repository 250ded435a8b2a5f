package dev.istiod.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A service of the mesh, from any registry (a Kubernetes Service, one host of a ServiceEntry).
 *
 * @param hostname fully qualified, e.g. {@code reviews.default.svc.cluster.local}
 * @param addresses VIPs; empty when the service has none (Envoy then sees 0.0.0.0)
 * @param origin the config that defined it (for ServiceEntries) or the Kubernetes Service key
 */
public record Service(
    String hostname,
    String namespace,
    List<String> addresses,
    List<ServicePort> ports,
    Resolution resolution,
    boolean meshExternal,
    Visibility visibility,
    Map<String, String> labels,
    List<String> subjectAltNames,
    Registry registry,
    ConfigKey origin) {

  /** Which registry a service came from. */
  public enum Registry { KUBERNETES, SERVICE_ENTRY }

  public Service {
    Objects.requireNonNull(hostname, "hostname");
    namespace = namespace == null ? "" : namespace;
    addresses = List.copyOf(addresses);
    ports = List.copyOf(ports);
    Objects.requireNonNull(resolution, "resolution");
    visibility = visibility == null ? Visibility.PUBLIC : visibility;
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    subjectAltNames = subjectAltNames == null ? List.of() : List.copyOf(subjectAltNames);
    Objects.requireNonNull(registry, "registry");
  }

  public Optional<ServicePort> port(int number) {
    return ports.stream().filter(p -> p.port() == number).findFirst();
  }

  public Optional<ServicePort> portByName(String name) {
    return ports.stream().filter(p -> p.name().equals(name)).findFirst();
  }

  /** The address Envoy listeners use for this service: its first VIP, or 0.0.0.0. */
  public String defaultAddress() {
    return addresses.isEmpty() ? "0.0.0.0" : addresses.get(0);
  }

  public ServiceKey key() {
    return new ServiceKey(hostname, namespace);
  }
}
