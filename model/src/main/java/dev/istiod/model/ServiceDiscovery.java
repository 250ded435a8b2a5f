package dev.istiod.model;

import java.util.List;

/**
 * A registry of services (Kubernetes, ServiceEntries, or an aggregate of several). Endpoints are
 * not read from here but from the {@link EndpointIndex} that registries write to, so that
 * endpoint-only changes can be pushed without rebuilding the {@code PushContext}.
 */
public interface ServiceDiscovery {
  /** Every service, in a stable order. */
  List<Service> services();

  /** The service ports the proxy's workload implements (matched by IP, labels, namespace). */
  List<ServiceTarget> serviceTargets(Proxy proxy);
}
