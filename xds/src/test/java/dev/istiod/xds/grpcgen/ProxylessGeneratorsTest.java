package dev.istiod.xds.grpcgen;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.networking.v1alpha3.DestinationRule;
import dev.istiod.api.networking.v1alpha3.LoadBalancerSettings;
import dev.istiod.api.networking.v1alpha3.Subset;
import dev.istiod.api.networking.v1alpha3.TrafficPolicy;
import dev.istiod.configstore.MemoryConfigStore;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigMeta;
import dev.istiod.model.Endpoint;
import dev.istiod.model.EndpointIndex;
import dev.istiod.model.Environment;
import dev.istiod.model.Kind;
import dev.istiod.model.Protocol;
import dev.istiod.model.Proxy;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.model.Resolution;
import dev.istiod.model.Service;
import dev.istiod.model.ServiceDiscovery;
import dev.istiod.model.ServiceKey;
import dev.istiod.model.ServicePort;
import dev.istiod.model.ServiceTarget;
import dev.istiod.model.TriggerReason;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsGenerator;
import dev.istiod.xds.XdsResource;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The four proxyless generators over a real PushContext, and the per-proxy selection. */
class ProxylessGeneratorsTest {
  private static final String HOST = "echo.default.svc.cluster.local";
  private static final Service ECHO = new Service(HOST, "default", List.of(),
      List.of(new ServicePort("grpc", 7070, Protocol.GRPC)), Resolution.CLIENT_SIDE_LB, false, null, null, null,
      Service.Registry.SERVICE_ENTRY, null);
  private static final PushRequest FULL = PushRequest.forced(TriggerReason.PROXY_REQUEST);

  private final Proxy client = TestProxies.grpcClient();
  private final EndpointIndex endpoints = new EndpointIndex();
  private final Map<String, XdsGenerator> generators = ProxylessGrpc.generators();

  @Test
  void lds_oneListenerPerRequestedSpelling_eachFetchingTheServicesRoute() throws Exception {
    PushContext push = push(List.of());

    List<Listener> listeners = generate(TypeUrls.LISTENER, push, Set.of("echo:7070", HOST + ":7070", "nope:1"),
        Listener.class);

    assertThat(listeners).extracting(Listener::getName).containsExactly("echo:7070", HOST + ":7070");
    for (Listener l : listeners) {
      HttpConnectionManager hcm = l.getApiListener().getApiListener().unpack(HttpConnectionManager.class);
      assertThat(hcm.getRds().getRouteConfigName()).isEqualTo("outbound|7070||" + HOST);
      assertThat(hcm.getRds().getConfigSource().hasAds()).isTrue();
      assertThat(hcm.getHttpFiltersList()).last().extracting(f -> f.getName()).isEqualTo("envoy.filters.http.router");
    }
  }

  @Test
  void lds_serverListener_onlyForAPortTheClientsWorkloadServes() throws Exception {
    PushContext push = push(List.of(new ServiceTarget(ECHO, ECHO.ports().get(0), 17070)));
    String served = ListenerNames.INBOUND_PREFIX + "0.0.0.0:17070";
    String notServed = ListenerNames.INBOUND_PREFIX + "0.0.0.0:9999";

    List<Listener> listeners = generate(TypeUrls.LISTENER, push, Set.of(served, notServed), Listener.class);

    assertThat(listeners).singleElement().satisfies(l -> {
      assertThat(l.getName()).isEqualTo(served);
      assertThat(l.getAddress().getSocketAddress().getPortValue()).isEqualTo(17070);
      assertThat(l.getListenerFiltersList()).isEmpty();
      assertThat(l.hasUseOriginalDst()).isFalse();
      assertThat(l.getFilterChainsList()).singleElement()
          .satisfies(fc -> assertThat(fc.getFiltersList()).hasSize(1));
    });
  }

  @Test
  void cds_buildsRequestedClustersOnly_subsetsFromTheDestinationRule_withItsLoadBalancer() throws Exception {
    PushContext push = push(List.of(), destinationRule());

    List<Cluster> clusters = generate(TypeUrls.CLUSTER, push,
        Set.of("outbound|7070|v1|" + HOST, "outbound|7070|v9|" + HOST), Cluster.class);

    assertThat(clusters).singleElement().satisfies(c -> {
      assertThat(c.getName()).isEqualTo("outbound|7070|v1|" + HOST);
      assertThat(c.getType()).isEqualTo(Cluster.DiscoveryType.EDS);
      assertThat(c.getEdsClusterConfig().getEdsConfig().hasAds()).isTrue();
      assertThat(c.getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
      assertThat(c.getTransportSocketMatchesList()).isEmpty();
    });
  }

  @Test
  void eds_subsetEndpoints_andAnEndpointOnlyPushRebuildsOnlyChangedServices() throws Exception {
    endpoints.update(ECHO.key(), "se", List.of(endpoint(9001, "v1"), endpoint(9002, "v2")));
    PushContext push = push(List.of(), destinationRule());
    String v2 = "outbound|7070|v2|" + HOST;

    List<ClusterLoadAssignment> full = generate(TypeUrls.ENDPOINT, push, Set.of(v2), ClusterLoadAssignment.class);
    GenerationResult other = generators.get(TypeUrls.ENDPOINT).generate(client, push,
        new WatchedResource(TypeUrls.ENDPOINT, false, Set.of(v2)),
        PushRequest.endpoints(Set.of(new ServiceKey("other.default.svc.cluster.local", "default"))));

    assertThat(full).singleElement().satisfies(cla -> assertThat(cla.getEndpoints(0).getLbEndpointsList())
        .extracting(e -> e.getEndpoint().getAddress().getSocketAddress().getPortValue()).containsExactly(9002));
    assertThat(other.incremental()).isTrue();
    assertThat(other.resources()).isEmpty();
  }

  @Test
  void withProxyless_servesGrpcClientsWithGrpcgen_andOtherProxiesWithTheDefault() {
    XdsGenerator sidecarCds = new FixedGenerator(TypeUrls.CLUSTER, "sidecar-cluster");
    Map<String, XdsGenerator> served = ProxylessGrpc.withProxyless(Map.of(TypeUrls.CLUSTER, sidecarCds));
    PushContext push = push(List.of());
    WatchedResource wildcard = new WatchedResource(TypeUrls.CLUSTER, true, Set.of());

    assertThat(served).containsKeys(TypeUrls.CLUSTER, TypeUrls.ENDPOINT, TypeUrls.LISTENER, TypeUrls.ROUTE);
    assertThat(served.get(TypeUrls.CLUSTER).generate(TestProxies.sidecar(), push, wildcard, FULL).resources())
        .extracting(XdsResource::name).containsExactly("sidecar-cluster");
    assertThat(served.get(TypeUrls.CLUSTER).generate(client, push, wildcard, FULL).resources())
        .extracting(XdsResource::name).containsExactly("outbound|7070||" + HOST);
    assertThat(served.get(TypeUrls.LISTENER).generate(TestProxies.sidecar(), push,
        new WatchedResource(TypeUrls.LISTENER, true, Set.of()), FULL).resources())
        .as("no default LDS generator was given").isEmpty();
  }

  private <T extends Message> List<T> generate(String typeUrl, PushContext push, Set<String> names, Class<T> type)
      throws InvalidProtocolBufferException {
    GenerationResult r = generators.get(typeUrl).generate(client, push, new WatchedResource(typeUrl, false, names), FULL);
    List<T> out = new java.util.ArrayList<>();
    for (XdsResource res : r.resources()) {
      out.add(res.resource().unpack(type));
    }
    return out;
  }

  private PushContext push(List<ServiceTarget> targets, Config... configs) {
    ServiceDiscovery discovery = new ServiceDiscovery() {
      @Override
      public List<Service> services() {
        return List.of(ECHO);
      }

      @Override
      public List<ServiceTarget> serviceTargets(Proxy proxy) {
        return targets;
      }
    };
    MeshConfig mesh = MeshConfig.newBuilder().setRootNamespace("istio-system").build();
    MemoryConfigStore store = new MemoryConfigStore();
    for (Config c : configs) {
      store.apply(c);
    }
    Environment env = new Environment(store, discovery, endpoints, () -> mesh, "cluster.local");
    return PushContext.build(env, "v1", null, null);
  }

  private static Config destinationRule() {
    return new Config(Kind.DESTINATION_RULE, ConfigMeta.of("default", "echo"), DestinationRule.newBuilder()
        .setHost("echo")
        .setTrafficPolicy(TrafficPolicy.newBuilder().setLoadBalancer(
            LoadBalancerSettings.newBuilder().setSimple(LoadBalancerSettings.SimpleLB.LEAST_REQUEST)))
        .addSubsets(Subset.newBuilder().setName("v1").putLabels("version", "v1"))
        .addSubsets(Subset.newBuilder().setName("v2").putLabels("version", "v2"))
        .build());
  }

  private static Endpoint endpoint(int port, String version) {
    return new Endpoint("127.0.0.1", port, "grpc", Map.of("version", version), "", null, Endpoint.Health.HEALTHY,
        Endpoint.TlsMode.DISABLED, 0, "", "");
  }

  /** A default-proxy generator that returns one named resource. */
  private record FixedGenerator(String typeUrl, String name) implements XdsGenerator {
    @Override
    public boolean needsPush(Proxy proxy, PushRequest request) {
      return true;
    }

    @Override
    public GenerationResult generate(Proxy proxy, PushContext push, WatchedResource watched, PushRequest request) {
      return GenerationResult.full(List.of(XdsResource.of(name, Cluster.newBuilder().setName(name).build())));
    }
  }
}
