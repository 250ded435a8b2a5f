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
 * @param credentials the {@code credentialName} secrets SDS serves (a live view, like the endpoint
 *     index); {@link CredentialsController#NONE} without a cluster
 * @param jwks fetches the keys of RequestAuthentication rules given by {@code jwksUri};
 *     {@link JwksResolver#NONE} when not wired
 */
public record Environment(
    ConfigStore configStore,
    ServiceDiscovery serviceDiscovery,
    EndpointIndex endpointIndex,
    Supplier<MeshConfig> mesh,
    String domainSuffix,
    CredentialsController credentials,
    JwksResolver jwks) {

  public Environment {
    Objects.requireNonNull(configStore, "configStore");
    Objects.requireNonNull(serviceDiscovery, "serviceDiscovery");
    Objects.requireNonNull(endpointIndex, "endpointIndex");
    Objects.requireNonNull(mesh, "mesh");
    domainSuffix = domainSuffix == null || domainSuffix.isEmpty() ? "cluster.local" : domainSuffix;
    credentials = credentials == null ? CredentialsController.NONE : credentials;
    jwks = jwks == null ? JwksResolver.NONE : jwks;
  }

  /** An environment without a JWKS resolver. */
  public Environment(ConfigStore configStore, ServiceDiscovery serviceDiscovery, EndpointIndex endpointIndex,
      Supplier<MeshConfig> mesh, String domainSuffix, CredentialsController credentials) {
    this(configStore, serviceDiscovery, endpointIndex, mesh, domainSuffix, credentials, JwksResolver.NONE);
  }

  /** An environment without a credentials source. */
  public Environment(ConfigStore configStore, ServiceDiscovery serviceDiscovery, EndpointIndex endpointIndex,
      Supplier<MeshConfig> mesh, String domainSuffix) {
    this(configStore, serviceDiscovery, endpointIndex, mesh, domainSuffix, CredentialsController.NONE,
        JwksResolver.NONE);
  }

  /** True when a credentials source is wired, so {@code credentialName} can be served over SDS. */
  public boolean hasCredentials() {
    return credentials != CredentialsController.NONE;
  }
}
