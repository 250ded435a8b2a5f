package dev.istiod.xds.simulation;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.model.TriggerReason;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsGenerator;
import dev.istiod.xds.XdsResource;
import dev.istiod.xds.gen.Generators;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Everything one proxy was sent: listeners (LDS), route configurations (RDS) by name, clusters
 * (CDS) by name and load assignments (EDS) by cluster name. The simulator only reads these
 * protos, so it follows whatever the generators produce.
 */
public record ProxyResources(List<Listener> listeners, Map<String, RouteConfiguration> routes,
    Map<String, Cluster> clusters, Map<String, ClusterLoadAssignment> endpoints) {

  public ProxyResources {
    listeners = List.copyOf(listeners);
    routes = Map.copyOf(routes);
    clusters = Map.copyOf(clusters);
    endpoints = Map.copyOf(endpoints);
  }

  public static ProxyResources of(Collection<Listener> listeners, Collection<RouteConfiguration> routes,
      Collection<Cluster> clusters, Collection<ClusterLoadAssignment> endpoints) {
    return new ProxyResources(List.copyOf(listeners), byName(routes, RouteConfiguration::getName),
        byName(clusters, Cluster::getName), byName(endpoints, ClusterLoadAssignment::getClusterName));
  }

  /**
   * What {@code proxy} receives from istiod's Envoy generators ({@link Generators#envoy()}) for
   * {@code push}, fetched the way Envoy fetches it: CDS and LDS as wildcards, then EDS for the EDS
   * clusters and RDS for the route names the listeners reference.
   */
  public static ProxyResources generate(Proxy proxy, PushContext push) {
    Map<String, XdsGenerator> generators = Generators.envoy();
    PushRequest request = PushRequest.forced(TriggerReason.PROXY_REQUEST);
    List<Cluster> clusters = unpack(fetch(generators, TypeUrls.CLUSTER, proxy, push, request, Set.of()), Cluster.class);
    List<Listener> listeners = unpack(fetch(generators, TypeUrls.LISTENER, proxy, push, request, Set.of()),
        Listener.class);
    Set<String> edsNames = new TreeSet<>();
    for (Cluster c : clusters) {
      if (c.hasEdsClusterConfig()) {
        String service = c.getEdsClusterConfig().getServiceName();
        edsNames.add(service.isEmpty() ? c.getName() : service);
      }
    }
    List<ClusterLoadAssignment> endpoints = edsNames.isEmpty() ? List.of()
        : unpack(fetch(generators, TypeUrls.ENDPOINT, proxy, push, request, edsNames), ClusterLoadAssignment.class);
    Set<String> routeNames = new TreeSet<>();
    for (Listener l : listeners) {
      NetworkFilters.rdsNames(l).forEach(routeNames::add);
    }
    List<RouteConfiguration> routes = routeNames.isEmpty() ? List.of()
        : unpack(fetch(generators, TypeUrls.ROUTE, proxy, push, request, routeNames), RouteConfiguration.class);
    return of(listeners, routes, clusters, endpoints);
  }

  private static GenerationResult fetch(Map<String, XdsGenerator> generators, String type, Proxy proxy,
      PushContext push, PushRequest request, Set<String> names) {
    WatchedResource watched = new WatchedResource(type, names.isEmpty(), names);
    return generators.get(type).generate(proxy, push, watched, request);
  }

  private static <T extends Message> List<T> unpack(GenerationResult result, Class<T> type) {
    List<T> out = new ArrayList<>();
    for (XdsResource r : result.resources()) {
      try {
        out.add(r.resource().unpack(type));
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("generator returned a resource that is not a " + type.getSimpleName(), e);
      }
    }
    return out;
  }

  private static <T> Map<String, T> byName(Collection<T> items, Function<T, String> name) {
    Map<String, T> out = new LinkedHashMap<>();
    for (T item : items) {
      if (out.put(name.apply(item), item) != null) {
        throw new IllegalArgumentException("two resources named " + name.apply(item));
      }
    }
    return out;
  }
}
