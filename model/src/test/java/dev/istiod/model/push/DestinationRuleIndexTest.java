package dev.istiod.model.push;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.networking.v1alpha3.ConnectionPoolSettings;
import dev.istiod.api.networking.v1alpha3.DestinationRule;
import dev.istiod.api.networking.v1alpha3.LoadBalancerSettings;
import dev.istiod.api.networking.v1alpha3.OutlierDetection;
import dev.istiod.api.networking.v1alpha3.PortSelector;
import dev.istiod.api.networking.v1alpha3.Subset;
import dev.istiod.api.networking.v1alpha3.TrafficPolicy;
import dev.istiod.api.type.v1beta1.WorkloadSelector;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigMeta;
import dev.istiod.model.Kind;
import dev.istiod.model.MeshConfigs;
import dev.istiod.model.Resolution;
import dev.istiod.model.Service;
import dev.istiod.model.Visibility;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DestinationRuleIndexTest {
  static final MeshConfig MESH = MeshConfigs.defaults();
  static final String HOST = "reviews.default.svc.cluster.local";
  static final Service REVIEWS = new Service(HOST, "default", List.of(), List.of(), Resolution.CLIENT_SIDE_LB, false,
      Visibility.PUBLIC, Map.of(), List.of(), Service.Registry.SERVICE_ENTRY, null);
  private int clock;

  Config dr(String namespace, String name, DestinationRule spec) {
    ConfigMeta meta = new ConfigMeta(name, namespace, Map.of(), Map.of(), "", 0, Instant.EPOCH.plusSeconds(++clock), "");
    return new Config(Kind.DESTINATION_RULE, meta, spec);
  }

  static DestinationRule.Builder rule(String... subsets) {
    DestinationRule.Builder b = DestinationRule.newBuilder().setHost(HOST);
    for (String s : subsets) {
      b.addSubsets(Subset.newBuilder().setName(s).putLabels("version", s));
    }
    return b;
  }

  static TrafficPolicy lb(LoadBalancerSettings.SimpleLB simple) {
    return TrafficPolicy.newBuilder().setLoadBalancer(LoadBalancerSettings.newBuilder().setSimple(simple)).build();
  }

  @Test
  void rulesWithEqualExportTo_merge_subsetsConcatenated_andOldestPolicyKept() {
    DestinationRuleIndex index = DestinationRuleIndex.build(List.of(
        dr("default", "a", rule("v1").setTrafficPolicy(lb(LoadBalancerSettings.SimpleLB.RANDOM)).build()),
        dr("default", "b", rule("v2", "v1").setTrafficPolicy(lb(LoadBalancerSettings.SimpleLB.ROUND_ROBIN)).build())),
        MESH, "cluster.local");

    List<ResolvedDestinationRule> found = index.lookup("default", REVIEWS);

    assertThat(found).singleElement().satisfies(d -> {
      assertThat(d.rule().getSubsetsList()).extracting(Subset::getName).containsExactly("v1", "v2");
      assertThat(d.rule().getSubsets(0).getLabelsMap()).containsEntry("version", "v1");
      assertThat(d.rule().getTrafficPolicy().getLoadBalancer().getSimple()).isEqualTo(LoadBalancerSettings.SimpleLB.RANDOM);
      assertThat(d.from()).extracting(k -> k.name()).containsExactly("a", "b");
      assertThat(d.config().name()).isEqualTo("a");
    });
  }

  @Test
  void rulesWithDifferentExportTo_stayApart_asUpstreamsEnhancedMerge() {
    DestinationRuleIndex index = DestinationRuleIndex.build(List.of(
        dr("default", "a", rule("v1").addExportTo("*").build()),
        dr("default", "b", rule("v2").addExportTo(".").build())),
        MESH, "cluster.local");

    assertThat(index.lookup("default", REVIEWS)).hasSize(2);
  }

  @Test
  void selectorRules_mergeOnlyWithEqualSelectors_andSortFirst() {
    WorkloadSelector productpage = WorkloadSelector.newBuilder().putMatchLabels("app", "productpage").build();
    WorkloadSelector details = WorkloadSelector.newBuilder().putMatchLabels("app", "details").build();
    DestinationRuleIndex index = DestinationRuleIndex.build(List.of(
        dr("default", "catch-all", rule("v3").build()),
        dr("default", "pp", rule("v1").setWorkloadSelector(productpage).build()),
        dr("default", "pp-too", rule("v2").setWorkloadSelector(productpage).build()),
        dr("default", "details", rule("v9").setWorkloadSelector(details).build())),
        MESH, "cluster.local");

    List<ResolvedDestinationRule> found = index.lookup("default", REVIEWS);

    assertThat(found).extracting(d -> d.config().name()).containsExactly("pp", "details", "catch-all");
    assertThat(found.get(0).rule().getSubsetsList()).extracting(Subset::getName).containsExactly("v1", "v2");
  }

  @Test
  void privateRuleInAnotherNamespace_isInvisible_andRootNamespaceRuleIsTheFallback() {
    DestinationRuleIndex index = DestinationRuleIndex.build(List.of(
        dr("default", "private", rule().addExportTo(".").build()),
        dr("istio-system", "mesh", DestinationRule.newBuilder().setHost("*.local").build())),
        MESH, "cluster.local");

    assertThat(index.lookup("other", REVIEWS)).extracting(d -> d.config().name()).containsExactly("mesh");
    assertThat(index.lookup("default", REVIEWS)).extracting(d -> d.config().name()).containsExactly("private");
  }

  @Test
  void subsetPolicy_overridesGroupByGroup_andSubsetPortLevel_replacesAllGroups() {
    TrafficPolicy top = TrafficPolicy.newBuilder()
        .setLoadBalancer(LoadBalancerSettings.newBuilder().setSimple(LoadBalancerSettings.SimpleLB.ROUND_ROBIN))
        .setOutlierDetection(OutlierDetection.newBuilder().setInterval(com.google.protobuf.Duration.newBuilder().setSeconds(5)))
        .build();
    TrafficPolicy subsetPolicy = TrafficPolicy.newBuilder()
        .setLoadBalancer(LoadBalancerSettings.newBuilder().setSimple(LoadBalancerSettings.SimpleLB.RANDOM))
        .addPortLevelSettings(TrafficPolicy.PortTrafficPolicy.newBuilder()
            .setPort(PortSelector.newBuilder().setNumber(9081))
            .setConnectionPool(ConnectionPoolSettings.newBuilder().setTcp(
                ConnectionPoolSettings.TCPSettings.newBuilder().setMaxConnections(7))))
        .build();
    DestinationRule spec = rule().setTrafficPolicy(top)
        .addSubsets(Subset.newBuilder().setName("v1").setTrafficPolicy(subsetPolicy)).build();
    ResolvedDestinationRule r = DestinationRuleIndex.build(List.of(dr("default", "r", spec)), MESH, "cluster.local")
        .lookup("default", REVIEWS).get(0);

    TrafficPolicy on9080 = r.policy(9080, "v1");
    TrafficPolicy on9081 = r.policy(9081, "v1");

    assertThat(on9080.getLoadBalancer().getSimple()).isEqualTo(LoadBalancerSettings.SimpleLB.RANDOM);
    assertThat(on9080.hasOutlierDetection()).isTrue();
    assertThat(on9081.hasLoadBalancer()).isFalse();
    assertThat(on9081.hasOutlierDetection()).isFalse();
    assertThat(on9081.getConnectionPool().getTcp().getMaxConnections()).isEqualTo(7);
    assertThat(r.policy(9080, "")).isEqualTo(top);
  }

  @Test
  void meshDefaultTrafficPolicy_fillsOnlyUnsetGroups() {
    MeshConfig mesh = MESH.toBuilder().setDefaultTrafficPolicy(MeshConfig.DefaultTrafficPolicy.newBuilder()
        .setOutlierDetection(OutlierDetection.newBuilder().setMaxEjectionPercent(10))).build();

    TrafficPolicy p = ResolvedDestinationRule.effectivePolicy(Optional.empty(), 80, "", mesh);

    assertThat(p.getOutlierDetection().getMaxEjectionPercent()).isEqualTo(10);
  }
}
