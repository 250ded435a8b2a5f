package dev.istiod.model;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Everything a {@code PushContext} is built from: the config store, the service registry, the
 * endpoint index and the current mesh config. Wiring (istiod) assembles one; tests build their
 * own from in-memory stores.
 *
 * @param domainSuffix the cluster's DNS domain, {@code cluster.local} by default
 */
public record Environment(
    ConfigStore configStore,
    ServiceDiscovery serviceDiscovery,
    EndpointIndex endpointIndex,
    Supplier<MeshConfig> mesh,
    String domainSuffix) {

  public Environment {
    Objects.requireNonNull(configStore, "configStore");
    Objects.requireNonNull(serviceDiscovery, "serviceDiscovery");
    Objects.requireNonNull(endpointIndex, "endpointIndex");
    Objects.requireNonNull(mesh, "mesh");
    domainSuffix = domainSuffix == null || domainSuffix.isEmpty() ? "cluster.local" : domainSuffix;
  }
}
