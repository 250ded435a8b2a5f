package dev.istiod.xds.server;

import com.google.protobuf.Message;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.Kind;
import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsGenerator;
import dev.istiod.xds.XdsResource;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A generator over a mutable set of named resources. Wildcard subscriptions get everything,
 * named ones get what exists among their names. The EDS stub answers endpoint-only requests
 * incrementally with just the clusters the request names (hostname = cluster name here).
 */
final class StubGenerator implements XdsGenerator {
  record Call(WatchedResource watched, PushRequest request) {}

  private final String typeUrl;
  private final Function<String, Message> factory;
  private final Map<String, Message> resources = new ConcurrentSkipListMap<>();
  final List<Call> calls = new CopyOnWriteArrayList<>();

  private StubGenerator(String typeUrl, Function<String, Message> factory, String... names) {
    this.typeUrl = typeUrl;
    this.factory = factory;
    put(names);
  }

  static StubGenerator clusters(String... names) {
    return new StubGenerator(TypeUrls.CLUSTER, n -> Cluster.newBuilder().setName(n).build(), names);
  }

  static StubGenerator endpoints(String... names) {
    return new StubGenerator(TypeUrls.ENDPOINT, n -> ClusterLoadAssignment.newBuilder().setClusterName(n).build(),
        names);
  }

  static StubGenerator listeners(String... names) {
    return new StubGenerator(TypeUrls.LISTENER, n -> Listener.newBuilder().setName(n).build(), names);
  }

  static StubGenerator routes(String... names) {
    return new StubGenerator(TypeUrls.ROUTE, n -> RouteConfiguration.newBuilder().setName(n).build(), names);
  }

  void put(String... names) {
    for (String n : names) {
      resources.put(n, factory.apply(n));
    }
  }

  void remove(String... names) {
    for (String n : names) {
      resources.remove(n);
    }
  }

  @Override
  public String typeUrl() {
    return typeUrl;
  }

  @Override
  public boolean needsPush(Proxy proxy, PushRequest request) {
    return request.full() || TypeUrls.ENDPOINT.equals(typeUrl);
  }

  @Override
  public GenerationResult generate(Proxy proxy, PushContext push, WatchedResource watched, PushRequest request) {
    calls.add(new Call(watched, request));
    if (!request.full() && TypeUrls.ENDPOINT.equals(typeUrl)) {
      Set<String> changed = request.configsUpdated().stream().filter(k -> k.kind() == Kind.ENDPOINTS)
          .map(ConfigKey::name).filter(watched.resourceNames()::contains).collect(Collectors.toSet());
      return new GenerationResult(select(changed::contains), Set.of(), true, "incremental");
    }
    return GenerationResult.full(select(n -> watched.wildcard() || watched.resourceNames().contains(n)));
  }

  private List<XdsResource> select(java.util.function.Predicate<String> wanted) {
    return resources.entrySet().stream().filter(e -> wanted.test(e.getKey()))
        .map(e -> XdsResource.of(e.getKey(), e.getValue())).toList();
  }
}
