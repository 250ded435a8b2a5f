package dev.istiod.xds.core.endpoint;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.networking.v1alpha3.LoadBalancerSettings;
import dev.istiod.api.networking.v1alpha3.LocalityLoadBalancerSetting;
import dev.istiod.model.Endpoint;
import dev.istiod.model.Locality;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class LocalityLoadBalancerTest {
  static final Locality PROXY = Locality.parse("us-east/zone-a/sub-1");

  /** One group per locality, one endpoint per address; labels as given. */
  static LocalityGroup group(String locality, Map<String, String> labels, String... addresses) {
    Locality l = Locality.parse(locality);
    LocalityLbEndpoints.Builder b = LocalityLbEndpoints.newBuilder().setLoadBalancingWeight(UInt32Value.of(addresses.length));
    if (!l.isEmpty()) {
      b.getLocalityBuilder().setRegion(l.region()).setZone(l.zone()).setSubZone(l.subzone());
    }
    List<Endpoint> sources = new ArrayList<>();
    for (String a : addresses) {
      LbEndpoint.Builder ep = LbEndpoint.newBuilder().setLoadBalancingWeight(UInt32Value.of(1));
      ep.getEndpointBuilder().getAddressBuilder().getSocketAddressBuilder().setAddress(a).setPortValue(80);
      b.addLbEndpoints(ep);
      sources.add(Endpoint.of(a, 80, "http", labels));
    }
    return new LocalityGroup(l, b.build(), sources);
  }

  /** address -> priority, for every endpoint of the result. */
  static Map<String, Integer> priorities(List<LocalityLbEndpoints> out) {
    return out.stream().flatMap(l -> l.getLbEndpointsList().stream()
            .map(e -> Map.entry(e.getEndpoint().getAddress().getSocketAddress().getAddress(), l.getPriority())))
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
  }

  @Test
  void failover_ranksLocalitiesByProximity_andDemotesRegionsOutsideTheFailoverTarget() {
    List<LocalityGroup> groups = List.of(
        group("us-east/zone-a/sub-1", Map.of(), "a"),
        group("us-east/zone-a/sub-2", Map.of(), "b"),
        group("us-east/zone-b", Map.of(), "c"),
        group("us-west/zone-c", Map.of(), "d"),
        group("eu-west/zone-d", Map.of(), "e"));
    LocalityLoadBalancerSetting s = LocalityLoadBalancerSetting.newBuilder()
        .addFailover(LocalityLoadBalancerSetting.Failover.newBuilder().setFrom("us-east").setTo("us-west")).build();

    Map<String, Integer> p = priorities(LocalityLoadBalancer.apply(groups, PROXY, Map.of(), s, true));

    assertThat(p).containsExactlyInAnyOrderEntriesOf(Map.of("a", 0, "b", 1, "c", 2, "d", 3, "e", 4));
  }

  @Test
  void failover_withoutOutlierDetection_leavesEveryEndpointAtPriorityZero() {
    List<LocalityGroup> groups = List.of(group("us-east/zone-a/sub-1", Map.of(), "a"), group("us-west", Map.of(), "b"));
    LocalityLoadBalancerSetting s = LocalityLoadBalancerSetting.getDefaultInstance();

    assertThat(priorities(LocalityLoadBalancer.apply(groups, PROXY, Map.of(), s, false)).values()).containsOnly(0);
  }

  @Test
  void priorities_areRenumberedWithoutGaps() {
    List<LocalityGroup> groups = List.of(group("us-east/zone-a/sub-1", Map.of(), "a"), group("ap-south", Map.of(), "b"));

    Map<String, Integer> p = priorities(LocalityLoadBalancer.apply(groups, PROXY, Map.of(),
        LocalityLoadBalancerSetting.getDefaultInstance(), true));

    assertThat(p).containsExactlyInAnyOrderEntriesOf(Map.of("a", 0, "b", 1));
  }

  @Test
  void failoverPriority_splitsALocality_byHowManyLabelsMatchTheProxy_andHonoursPinnedValues() {
    List<LocalityGroup> groups = List.of(
        group("us-east/zone-a", Map.of("net", "n1", "version", "v2"), "match-all"),
        group("us-east/zone-b", Map.of("net", "n1", "version", "v1"), "wrong-version"),
        group("us-west", Map.of("net", "n2", "version", "v2"), "wrong-network"));
    LocalityLoadBalancerSetting s = LocalityLoadBalancerSetting.newBuilder()
        .addFailoverPriority("net").addFailoverPriority("version=v2").build();

    List<LocalityLbEndpoints> out = LocalityLoadBalancer.apply(groups, PROXY, Map.of("net", "n1", "version", "v1"), s, true);

    assertThat(priorities(out)).containsExactlyInAnyOrderEntriesOf(Map.of("match-all", 0, "wrong-version", 1,
        "wrong-network", 2));
  }

  @Test
  void failoverPriority_forAProxyWithoutLabels_changesNothing() {
    List<LocalityGroup> groups = List.of(group("us-east", Map.of("net", "n1"), "a"), group("us-west", Map.of(), "b"));
    LocalityLoadBalancerSetting s = LocalityLoadBalancerSetting.newBuilder().addFailoverPriority("net").build();

    assertThat(priorities(LocalityLoadBalancer.apply(groups, PROXY, Map.of(), s, true)).values()).containsOnly(0);
  }

  @Test
  void distribute_sharesAWildcardsWeight_inProportion_andEmptiesUnnamedLocalities() {
    LocalityGroup a1 = group("us-east/zone-a/sub-1", Map.of(), "a1");
    LocalityGroup a2 = group("us-east/zone-a/sub-2", Map.of(), "a2", "a3", "a4");
    LocalityGroup west = group("us-west/zone-c", Map.of(), "w");
    LocalityLoadBalancerSetting s = LocalityLoadBalancerSetting.newBuilder()
        .addDistribute(LocalityLoadBalancerSetting.Distribute.newBuilder().setFrom("us-east/*").putTo("us-east/zone-a/*", 100))
        .build();

    List<LocalityLbEndpoints> out = LocalityLoadBalancer.apply(List.of(a1, a2, west), PROXY, Map.of(), s, false);

    assertThat(out.get(0).getLoadBalancingWeight().getValue()).isEqualTo(25);
    assertThat(out.get(1).getLoadBalancingWeight().getValue()).isEqualTo(75);
    assertThat(out.get(2).getLbEndpointsList()).isEmpty();
  }

  @Test
  void distribute_ruleForAnotherSource_isIgnored() {
    LocalityLoadBalancerSetting s = LocalityLoadBalancerSetting.newBuilder()
        .addDistribute(LocalityLoadBalancerSetting.Distribute.newBuilder().setFrom("eu-west/*").putTo("eu-west/*", 100))
        .build();
    List<LocalityGroup> groups = List.of(group("us-east", Map.of(), "a"));

    assertThat(LocalityLoadBalancer.apply(groups, PROXY, Map.of(), s, false)).isEqualTo(LocalityGroup.envoy(groups));
  }

  @Test
  void effectiveSetting_prefersTheRules_andHonoursEnabledFalse() {
    MeshConfig mesh = MeshConfig.newBuilder().setLocalityLbSetting(
        LocalityLoadBalancerSetting.newBuilder().setEnabled(BoolValue.of(true))).build();
    LoadBalancerSettings disabled = LoadBalancerSettings.newBuilder().setLocalityLbSetting(
        LocalityLoadBalancerSetting.newBuilder().setEnabled(BoolValue.of(false))).build();

    assertThat(LocalityLoadBalancer.effectiveSetting(mesh, LoadBalancerSettings.getDefaultInstance()))
        .contains(mesh.getLocalityLbSetting());
    assertThat(LocalityLoadBalancer.effectiveSetting(mesh, disabled)).isEmpty();
    assertThat(LocalityLoadBalancer.effectiveSetting(MeshConfig.getDefaultInstance(), LoadBalancerSettings.getDefaultInstance()))
        .isEmpty();
  }

  @Test
  void localityRules_matchWildcardsAndOmittedParts() {
    assertThat(LocalityLoadBalancer.matches(PROXY, "us-east")).isTrue();
    assertThat(LocalityLoadBalancer.matches(PROXY, "us-east/*/sub-1")).isTrue();
    assertThat(LocalityLoadBalancer.matches(PROXY, "*/zone-a")).isTrue();
    assertThat(LocalityLoadBalancer.matches(PROXY, "us-east/zone-b")).isFalse();
  }
}
