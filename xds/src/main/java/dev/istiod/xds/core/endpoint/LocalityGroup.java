package dev.istiod.xds.core.endpoint;

import dev.istiod.model.Endpoint;
import dev.istiod.model.Locality;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import java.util.List;
import java.util.Objects;

/**
 * The endpoints of one locality as Envoy sees them, with the model endpoints they were built
 * from in the same order: {@code failoverPriority} compares those endpoints' labels with the
 * proxy's, which the Envoy form no longer carries.
 *
 * @param locality where the endpoints run ({@link Locality#NONE} when unknown)
 * @param envoy the Envoy locality group: endpoints, locality, weight (priority 0)
 * @param sources {@code sources.get(i)} produced {@code envoy.getLbEndpoints(i)}
 */
public record LocalityGroup(Locality locality, LocalityLbEndpoints envoy, List<Endpoint> sources) {
  public LocalityGroup {
    Objects.requireNonNull(locality, "locality");
    Objects.requireNonNull(envoy, "envoy");
    sources = List.copyOf(sources);
    if (sources.size() != envoy.getLbEndpointsCount()) {
      throw new IllegalArgumentException("one source endpoint per Envoy endpoint: " + sources.size() + " != "
          + envoy.getLbEndpointsCount());
    }
  }

  /** The Envoy groups alone. */
  public static List<LocalityLbEndpoints> envoy(List<LocalityGroup> groups) {
    return groups.stream().map(LocalityGroup::envoy).toList();
  }
}
