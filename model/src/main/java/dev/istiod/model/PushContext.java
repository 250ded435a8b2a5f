package dev.istiod.model;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import java.time.Instant;
import java.util.List;

/**
 * PLACEHOLDER shell: the immutable snapshot of the mesh that generators read. The indexes
 * (services by host and visibility, VirtualServices, merged DestinationRules, Sidecar scopes,
 * Gateways) are being written; keep this class's public surface: {@link #version()},
 * {@link #mesh()}, {@link #build}.
 */
public final class PushContext {
  private final String version;
  private final MeshConfig mesh;
  private final Environment env;
  private final Instant createdAt;
  private final List<Service> services;

  private PushContext(String version, Environment env, Instant createdAt) {
    this.version = version;
    this.env = env;
    this.mesh = env.mesh().get();
    this.createdAt = createdAt;
    this.services = env.serviceDiscovery().services();
  }

  /** Builds a new snapshot; {@code previous} (nullable) and {@code request} allow reuse. */
  public static PushContext build(Environment env, String version, PushContext previous, PushRequest request) {
    return new PushContext(version, env, Instant.now());
  }

  public String version() {
    return version;
  }

  public MeshConfig mesh() {
    return mesh;
  }

  public Environment environment() {
    return env;
  }

  public Instant createdAt() {
    return createdAt;
  }

  public List<Service> services() {
    return services;
  }
}
