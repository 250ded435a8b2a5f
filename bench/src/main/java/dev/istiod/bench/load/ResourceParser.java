package dev.istiod.bench.load;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns a received resource into a {@link ParsedResource}, parsing each distinct byte string once for all proxies.
 *
 * <p>A control plane sends most resources identically to every proxy, so after the first proxy the rest cost a hash
 * lookup instead of a parse. Failures are memoized too (every proxy is sent the same broken bytes). Each type's memo
 * holds at most {@code maxEntriesPerType} entries and starts over when full, which keeps memory bounded when a
 * control plane sends per-proxy bytes; the keys are copies, never slices of a response buffer.
 *
 * <p>Thread-safe: proxies' streams call it from several threads.
 */
final class ResourceParser {
  static final String HCM_TYPE_URL =
      "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
  private static final String RESOURCE_WRAPPER_TYPE_URL = "type.googleapis.com/envoy.service.discovery.v3.Resource";

  /** A resource that a real Envoy would reject with a NACK. */
  static final class InvalidResourceException extends Exception {
    InvalidResourceException(String message) {
      super(message);
    }
  }

  /** A memo entry: the parsed resource, or why it is invalid. */
  private record Outcome(ParsedResource resource, String error) {}

  private final int maxEntriesPerType;
  private final Map<XdsType, ConcurrentHashMap<ByteString, Outcome>> memo = new EnumMap<>(XdsType.class);

  ResourceParser(int maxEntriesPerType) {
    if (maxEntriesPerType < 1) {
      throw new IllegalArgumentException("maxEntriesPerType must be positive: " + maxEntriesPerType);
    }
    this.maxEntriesPerType = maxEntriesPerType;
    for (XdsType t : XdsType.values()) {
      memo.put(t, new ConcurrentHashMap<>());
    }
  }

  /** Parses {@code any} as a resource of {@code type}; the Any's type must be the type's (or a wrapping Resource). */
  ParsedResource parse(XdsType type, Any any) throws InvalidResourceException {
    Any resource = any;
    if (resource.getTypeUrl().equals(RESOURCE_WRAPPER_TYPE_URL)) {
      try {
        resource = Resource.parseFrom(resource.getValue()).getResource();
      } catch (InvalidProtocolBufferException e) {
        throw new InvalidResourceException("unparseable " + type.shortName() + " Resource wrapper: " + e.getMessage());
      }
    }
    if (!resource.getTypeUrl().equals(type.typeUrl())) {
      throw new InvalidResourceException(
          type.shortName() + " response carries a resource of type " + resource.getTypeUrl());
    }
    ConcurrentHashMap<ByteString, Outcome> cache = memo.get(type);
    ByteString bytes = resource.getValue();
    Outcome outcome = cache.get(bytes);
    if (outcome == null) {
      outcome = parseUncached(type, bytes);
      if (cache.size() >= maxEntriesPerType) {
        cache.clear();
      }
      cache.put(UnsafeByteOperations.unsafeWrap(bytes.toByteArray()), outcome);
    }
    if (outcome.error() != null) {
      throw new InvalidResourceException(outcome.error());
    }
    return outcome.resource();
  }

  private static Outcome parseUncached(XdsType type, ByteString bytes) {
    try {
      ParsedResource parsed = switch (type) {
        case CLUSTER -> cluster(Cluster.parseFrom(bytes), bytes);
        case ENDPOINT -> {
          ClusterLoadAssignment cla = ClusterLoadAssignment.parseFrom(bytes);
          yield new ParsedResource(type, cla.getClusterName(), bytes.size(), List.of(), bytes.hashCode());
        }
        case LISTENER -> listener(Listener.parseFrom(bytes), bytes);
        case ROUTE -> {
          RouteConfiguration route = RouteConfiguration.parseFrom(bytes);
          yield new ParsedResource(type, route.getName(), bytes.size(), List.of(), route.hashCode());
        }
      };
      if (parsed.name().isEmpty()) {
        return new Outcome(null, type.shortName() + " resource without a name");
      }
      return new Outcome(parsed, null);
    } catch (InvalidProtocolBufferException e) {
      return new Outcome(null, "unparseable " + type.shortName() + " resource: " + e.getMessage());
    }
  }

  /** An EDS cluster subscribes to its {@code eds_cluster_config.service_name}, or to its own name without one. */
  private static ParsedResource cluster(Cluster c, ByteString bytes) {
    List<String> eds = List.of();
    if (c.hasType() && c.getType() == Cluster.DiscoveryType.EDS) {
      String service = c.getEdsClusterConfig().getServiceName();
      eds = List.of(service.isEmpty() ? c.getName() : service);
    }
    return new ParsedResource(XdsType.CLUSTER, c.getName(), bytes.size(), eds, bytes.hashCode());
  }

  /** The RDS route names of every HTTP connection manager in the listener's filter chains. */
  private static ParsedResource listener(Listener l, ByteString bytes) throws InvalidProtocolBufferException {
    Set<String> routes = new LinkedHashSet<>();
    List<FilterChain> chains = new ArrayList<>(l.getFilterChainsList());
    if (l.hasDefaultFilterChain()) {
      chains.add(l.getDefaultFilterChain());
    }
    for (FilterChain chain : chains) {
      for (Filter filter : chain.getFiltersList()) {
        if (filter.hasTypedConfig() && filter.getTypedConfig().getTypeUrl().equals(HCM_TYPE_URL)) {
          HttpConnectionManager hcm = HttpConnectionManager.parseFrom(filter.getTypedConfig().getValue());
          if (hcm.hasRds()) {
            routes.add(hcm.getRds().getRouteConfigName());
          }
        }
      }
    }
    return new ParsedResource(XdsType.LISTENER, l.getName(), bytes.size(), List.copyOf(routes), bytes.hashCode());
  }
}
