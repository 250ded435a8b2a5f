package dev.istiod.model;

import java.util.Map;
import java.util.Objects;

/**
 * One workload address serving one port of a service.
 *
 * @param address an IP, or a DNS name for DNS-resolved ServiceEntries
 * @param port the port on the workload
 * @param servicePortName the name of the service port this endpoint serves
 * @param tlsMode whether the workload has a sidecar that terminates Istio mTLS
 * @param weight load-balancing weight (0 = default)
 */
public record Endpoint(
    String address,
    int port,
    String servicePortName,
    Map<String, String> labels,
    String serviceAccount,
    Locality locality,
    Health health,
    TlsMode tlsMode,
    int weight,
    String network,
    String workloadName) {

  public enum Health { HEALTHY, UNHEALTHY, DRAINING, TERMINATING }

  public enum TlsMode { ISTIO, DISABLED }

  public Endpoint {
    Objects.requireNonNull(address, "address");
    servicePortName = servicePortName == null ? "" : servicePortName;
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    serviceAccount = serviceAccount == null ? "" : serviceAccount;
    locality = locality == null ? Locality.NONE : locality;
    health = health == null ? Health.HEALTHY : health;
    tlsMode = tlsMode == null ? TlsMode.DISABLED : tlsMode;
    network = network == null ? "" : network;
    workloadName = workloadName == null ? "" : workloadName;
  }

  /** A plain healthy endpoint, for tests and simple registries. */
  public static Endpoint of(String address, int port, String servicePortName, Map<String, String> labels) {
    return new Endpoint(address, port, servicePortName, labels, "", Locality.NONE, Health.HEALTHY,
        TlsMode.DISABLED, 0, "", "");
  }
}
