package dev.istiod.bench;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.model.TriggerReason;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsGenerator;
import dev.istiod.xds.XdsResource;
import dev.istiod.xds.cache.XdsCache;
import dev.istiod.xds.gen.Generators;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Generates what one Envoy sidecar fetches on connect — CDS and LDS as wildcards, RDS for the
 * route names its listeners reference — with istiod's own generators ({@link Generators#envoy()}),
 * through the same {@link XdsGenerator#generate} call the ADS server makes.
 */
final class XdsOutput {
  private static final PushRequest REQUEST = PushRequest.forced(TriggerReason.PROXY_REQUEST);

  private final Map<String, XdsGenerator> generators;
  private final WatchedResource clusters = new WatchedResource(TypeUrls.CLUSTER, true, Set.of());
  private final WatchedResource listeners = new WatchedResource(TypeUrls.LISTENER, true, Set.of());

  /** Generators without a cache: every call generates everything (the first proxy's cost). */
  XdsOutput() {
    this(XdsCache.disabled());
  }

  /** Generators sharing {@code cache}, as istiod's ADS server uses them. */
  XdsOutput(XdsCache cache) {
    generators = Generators.envoy(cache);
  }

  GenerationResult eds(Proxy proxy, PushContext push, WatchedResource endpoints) {
    return generators.get(TypeUrls.ENDPOINT).generate(proxy, push, endpoints, REQUEST);
  }

  GenerationResult cds(Proxy proxy, PushContext push) {
    return generators.get(TypeUrls.CLUSTER).generate(proxy, push, clusters, REQUEST);
  }

  GenerationResult lds(Proxy proxy, PushContext push) {
    return generators.get(TypeUrls.LISTENER).generate(proxy, push, listeners, REQUEST);
  }

  GenerationResult rds(Proxy proxy, PushContext push, WatchedResource routes) {
    return generators.get(TypeUrls.ROUTE).generate(proxy, push, routes, REQUEST);
  }

  /** The EDS subscription an Envoy would open after receiving {@code cds}. */
  static WatchedResource endpointSubscription(GenerationResult cds) {
    Set<String> names = new TreeSet<>();
    for (XdsResource r : cds.resources()) {
      try {
        Cluster c = r.resource().unpack(Cluster.class);
        if (c.hasEdsClusterConfig()) {
          names.add(c.getEdsClusterConfig().getServiceName());
        }
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new IllegalStateException(e);
      }
    }
    return new WatchedResource(TypeUrls.ENDPOINT, false, names);
  }

  /** The RDS subscription an Envoy would open after receiving {@code lds}. */
  static WatchedResource routeSubscription(GenerationResult lds) {
    Set<String> names = new TreeSet<>();
    for (XdsResource r : lds.resources()) {
      try {
        Listener l = r.resource().unpack(Listener.class);
        List<FilterChain> chains = new ArrayList<>(l.getFilterChainsList());
        if (l.hasDefaultFilterChain()) {
          chains.add(l.getDefaultFilterChain());
        }
        for (FilterChain c : chains) {
          for (Filter f : c.getFiltersList()) {
            if (f.getTypedConfig().is(HttpConnectionManager.class)) {
              HttpConnectionManager hcm = f.getTypedConfig().unpack(HttpConnectionManager.class);
              if (hcm.hasRds()) {
                names.add(hcm.getRds().getRouteConfigName());
              }
            }
          }
        }
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("LDS returned something that is not a Listener", e);
      }
    }
    return new WatchedResource(TypeUrls.ROUTE, false, names);
  }
}
