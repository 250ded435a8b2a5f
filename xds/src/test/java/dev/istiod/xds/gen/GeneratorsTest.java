package dev.istiod.xds.gen;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.model.Config;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.Kind;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.model.ServiceKey;
import dev.istiod.model.TriggerReason;
import dev.istiod.api.networking.v1alpha3.ServiceEntry;
import dev.istiod.xds.GenerationResult;
import dev.istiod.xds.TypeUrls;
import dev.istiod.xds.WatchedResource;
import dev.istiod.xds.XdsGenerator;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GeneratorsTest {
  static final String HEADER = """
      kind: ProxyUnderTest
      nodeId: sidecar~10.0.0.10~app-abc.default~default.svc.cluster.local
      metadata: {NAMESPACE: default, INSTANCE_IPS: 10.0.0.10}
      """;
  static final String SERVICES = """
      ---
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: reviews, namespace: default}
      spec:
        hosts: [reviews.default.svc.cluster.local]
        location: MESH_INTERNAL
        resolution: STATIC
        ports: [{number: 9080, name: http, protocol: HTTP}]
        endpoints: [{address: 10.0.1.1}]
      ---
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: ratings, namespace: default}
      spec:
        hosts: [ratings.default.svc.cluster.local]
        location: MESH_INTERNAL
        resolution: STATIC
        ports: [{number: 9080, name: http, protocol: HTTP}]
        endpoints: [{address: 10.0.2.1}]
      """;
  static final String REVIEWS = "outbound|9080||reviews.default.svc.cluster.local";
  static final String RATINGS = "outbound|9080||ratings.default.svc.cluster.local";

  final Map<String, XdsGenerator> gens = Generators.envoy();

  @Test
  void envoy_servesOneGeneratorPerTypeUrl() {
    assertThat(gens).containsOnlyKeys(TypeUrls.CLUSTER, TypeUrls.ENDPOINT, TypeUrls.LISTENER, TypeUrls.ROUTE,
        TypeUrls.SECRET);
    gens.forEach((type, g) -> assertThat(g.typeUrl()).isEqualTo(type));
  }

  @Test
  void endpointOnlyPush_isServedByEdsAlone() throws Exception {
    Scenario s = Scenario.parse(HEADER + SERVICES);
    PushRequest endpoints = PushRequest.endpoints(Set.of(new ServiceKey("reviews.default.svc.cluster.local", "default")));
    assertThat(gens.get(TypeUrls.ENDPOINT).needsPush(s.proxy, endpoints)).isTrue();
    for (String type : List.of(TypeUrls.CLUSTER, TypeUrls.LISTENER, TypeUrls.ROUTE)) {
      assertThat(gens.get(type).needsPush(s.proxy, endpoints)).as(type).isFalse();
    }
  }

  @Test
  void fullPush_ofKindsATypeIgnores_skipsThatType() throws Exception {
    Scenario s = Scenario.parse(HEADER + SERVICES);
    PushRequest workloadEntry = PushRequest.full(TriggerReason.CONFIG,
        Set.of(new ConfigKey(Kind.WORKLOAD_ENTRY, "default", "vm-1")));
    PushRequest virtualService = PushRequest.full(TriggerReason.CONFIG,
        Set.of(new ConfigKey(Kind.VIRTUAL_SERVICE, "default", "reviews")));
    assertThat(gens.get(TypeUrls.CLUSTER).needsPush(s.proxy, workloadEntry)).isFalse();
    assertThat(gens.get(TypeUrls.ROUTE).needsPush(s.proxy, workloadEntry)).isFalse();
    assertThat(gens.get(TypeUrls.ENDPOINT).needsPush(s.proxy, virtualService)).isFalse();
    assertThat(gens.get(TypeUrls.ROUTE).needsPush(s.proxy, virtualService)).isTrue();
    assertThat(gens.get(TypeUrls.CLUSTER).needsPush(s.proxy, PushRequest.forced(TriggerReason.DEBUG))).isTrue();
  }

  @Test
  void endpointOnlyPush_sendsOnlyTheChangedServicesAssignments_withoutANewPushContext() throws Exception {
    Scenario s = Scenario.parse(HEADER + SERVICES);
    PushContext push = s.push();
    Config reviews = s.store.get(new ConfigKey(Kind.SERVICE_ENTRY, "default", "reviews")).orElseThrow();
    ServiceEntry.Builder spec = reviews.spec(ServiceEntry.class).toBuilder();
    spec.addEndpointsBuilder().setAddress("10.0.1.2");
    s.store.update(new Config(reviews.kind(), reviews.meta(), spec.build()));

    PushRequest request = PushRequest.endpoints(Set.of(new ServiceKey("reviews.default.svc.cluster.local", "default")));
    GenerationResult r = gens.get(TypeUrls.ENDPOINT).generate(s.proxy, push,
        new WatchedResource(TypeUrls.ENDPOINT, false, Set.of(REVIEWS, RATINGS)), request);

    assertThat(r.incremental()).isTrue();
    assertThat(r.resources()).extracting(x -> x.name()).containsExactly(REVIEWS);
    ClusterLoadAssignment cla = r.resources().get(0).resource().unpack(ClusterLoadAssignment.class);
    assertThat(cla.getEndpoints(0).getLbEndpointsList())
        .extracting(e -> e.getEndpoint().getAddress().getSocketAddress().getAddress())
        .containsExactly("10.0.1.1", "10.0.1.2");
  }

  @Test
  void endpointOnlyPush_reachesEverySubscribedNameOfTheHost_includingSniDnatClusters() throws Exception {
    // A gateway in AUTO_PASSTHROUGH mode watches outbound_.<port>_.<subset>_.<host> beside outbound|...
    String sniDnat = "outbound_.9080_._.reviews.default.svc.cluster.local";
    Scenario s = Scenario.parse(HEADER + SERVICES);
    PushContext push = s.push();
    WatchedResource watched = new WatchedResource(TypeUrls.ENDPOINT, false, Set.of(REVIEWS, RATINGS, sniDnat));
    PushRequest request = PushRequest.endpoints(Set.of(new ServiceKey("reviews.default.svc.cluster.local", "default")));

    GenerationResult r = gens.get(TypeUrls.ENDPOINT).generate(s.proxy, push, watched, request);
    assertThat(r.resources()).extracting(x -> x.name()).containsExactlyInAnyOrder(REVIEWS, sniDnat);

    // Many services at once (another way through the names): the same answer.
    Set<ServiceKey> many = new java.util.HashSet<>(request.configsUpdated().stream()
        .map(k -> new ServiceKey(k.name(), k.namespace())).toList());
    for (int i = 0; i < 20; i++) {
      many.add(new ServiceKey("other-" + i + ".default.svc.cluster.local", "default"));
    }
    GenerationResult burst = gens.get(TypeUrls.ENDPOINT).generate(s.proxy, push, watched, PushRequest.endpoints(many));
    assertThat(burst.resources()).extracting(x -> x.name()).containsExactlyInAnyOrder(REVIEWS, sniDnat);
  }

  @Test
  void eds_clusterOfAnUnknownService_getsAnEmptyAssignment() throws Exception {
    Scenario s = Scenario.parse(HEADER + SERVICES);
    String unknown = "outbound|80||gone.default.svc.cluster.local";
    GenerationResult r = gens.get(TypeUrls.ENDPOINT).generate(s.proxy, s.push(),
        new WatchedResource(TypeUrls.ENDPOINT, false, Set.of(unknown)), PushRequest.forced(TriggerReason.PROXY_REQUEST));
    ClusterLoadAssignment cla = r.resources().get(0).resource().unpack(ClusterLoadAssignment.class);
    assertThat(cla.getClusterName()).isEqualTo(unknown);
    assertThat(cla.getEndpointsList()).isEmpty();
  }

  @Test
  void rds_unknownRouteName_getsAnEmptyConfiguration() throws Exception {
    Scenario s = Scenario.parse(HEADER + SERVICES);
    GenerationResult r = gens.get(TypeUrls.ROUTE).generate(s.proxy, s.push(),
        new WatchedResource(TypeUrls.ROUTE, false, Set.of("no-such-route")), PushRequest.forced(TriggerReason.PROXY_REQUEST));
    assertThat(r.resources()).extracting(x -> x.name()).containsExactly("no-such-route");
  }

  @Test
  void cds_namedSubscription_sendsOnlyTheNamedClusters() throws Exception {
    Scenario s = Scenario.parse(HEADER + SERVICES);
    GenerationResult r = gens.get(TypeUrls.CLUSTER).generate(s.proxy, s.push(),
        new WatchedResource(TypeUrls.CLUSTER, false, Set.of(RATINGS)), PushRequest.forced(TriggerReason.PROXY_REQUEST));
    assertThat(r.resources()).extracting(x -> x.name()).containsExactly(RATINGS);
  }
}
