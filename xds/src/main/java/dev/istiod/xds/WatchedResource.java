package dev.istiod.xds;

import java.util.Set;

/**
 * What a proxy subscribes to for one type, as a generator sees it: an immutable view of the
 * connection's state at generation time.
 *
 * @param wildcard true if the proxy wants every resource of the type (CDS/LDS with no names,
 *     or {@code *})
 * @param resourceNames the names subscribed to (for wildcard types, the explicitly named ones)
 */
public record WatchedResource(String typeUrl, boolean wildcard, Set<String> resourceNames) {
  public WatchedResource {
    resourceNames = ResourceNames.of(resourceNames);
  }
}
