package dev.istiod.model.push;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.api.security.v1beta1.PeerAuthentication;
import dev.istiod.api.security.v1beta1.PeerAuthentication.MutualTLS.Mode;
import dev.istiod.api.type.v1beta1.WorkloadSelector;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigMeta;
import dev.istiod.model.Kind;
import dev.istiod.model.push.PeerAuthenticationIndex.MutualTlsMode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PeerAuthenticationIndexTest {
  private static final String ROOT = "istio-system";
  private static final Map<String, String> REVIEWS = Map.of("app", "reviews", "version", "v1");

  @Test
  void noPolicy_isPermissiveForWorkloads_andUnknownAsNamespaceHint() {
    PeerAuthenticationIndex index = PeerAuthenticationIndex.empty(ROOT);

    assertThat(index.forWorkload("default", REVIEWS).forPort(8080)).isEqualTo(MutualTlsMode.PERMISSIVE);
    assertThat(index.namespaceMode("default")).isEqualTo(MutualTlsMode.UNKNOWN);
  }

  @Test
  void meshPolicyWithoutMode_isPermissive() {
    PeerAuthenticationIndex index = PeerAuthenticationIndex.build(List.of(policy(ROOT, "default", 1, null, Map.of())), ROOT);

    assertThat(index.namespaceMode("default")).isEqualTo(MutualTlsMode.PERMISSIVE);
    assertThat(index.forWorkload("default", REVIEWS).mode()).isEqualTo(MutualTlsMode.PERMISSIVE);
  }

  @Test
  void namespacePolicyWithoutMode_inheritsTheMeshMode() {
    PeerAuthenticationIndex index = PeerAuthenticationIndex.build(List.of(
        policy(ROOT, "default", 1, Mode.STRICT, Map.of()),
        policy("bookinfo", "default", 2, Mode.UNSET, Map.of())), ROOT);

    assertThat(index.namespaceMode("bookinfo")).isEqualTo(MutualTlsMode.STRICT);
    assertThat(index.forWorkload("bookinfo", REVIEWS).mode()).isEqualTo(MutualTlsMode.STRICT);
    assertThat(index.namespaceMode("other")).isEqualTo(MutualTlsMode.STRICT);
  }

  @Test
  void namespacePolicy_overridesTheMesh_andTheOldestNamespacePolicyWins() {
    PeerAuthenticationIndex index = PeerAuthenticationIndex.build(List.of(
        policy("bookinfo", "newer", 3, Mode.STRICT, Map.of()),
        policy(ROOT, "default", 1, Mode.STRICT, Map.of()),
        policy("bookinfo", "older", 2, Mode.DISABLE, Map.of())), ROOT);

    assertThat(index.namespaceMode("bookinfo")).isEqualTo(MutualTlsMode.DISABLE);
    assertThat(index.forWorkload("bookinfo", REVIEWS).mode()).isEqualTo(MutualTlsMode.DISABLE);
  }

  @Test
  void workloadPolicy_appliesToMatchingLabelsOnly_andIsNotANamespaceHint() {
    PeerAuthenticationIndex index = PeerAuthenticationIndex.build(List.of(
        policy("bookinfo", "default", 1, Mode.STRICT, Map.of()),
        policy("bookinfo", "reviews", 2, Mode.PERMISSIVE, Map.of("app", "reviews")),
        policy("bookinfo", "ratings", 3, Mode.DISABLE, Map.of("app", "ratings"))), ROOT);

    assertThat(index.forWorkload("bookinfo", REVIEWS).mode()).isEqualTo(MutualTlsMode.PERMISSIVE);
    assertThat(index.forWorkload("bookinfo", Map.of("app", "details")).mode()).isEqualTo(MutualTlsMode.STRICT);
    assertThat(index.namespaceMode("bookinfo")).isEqualTo(MutualTlsMode.STRICT);
  }

  @Test
  void selectorPolicyInTheRootNamespace_isIgnored() {
    PeerAuthenticationIndex index = PeerAuthenticationIndex.build(List.of(
        policy(ROOT, "reviews", 1, Mode.DISABLE, Map.of("app", "reviews"))), ROOT);

    assertThat(index.forWorkload("bookinfo", REVIEWS).mode()).isEqualTo(MutualTlsMode.PERMISSIVE);
    assertThat(index.forWorkload(ROOT, REVIEWS).mode()).isEqualTo(MutualTlsMode.PERMISSIVE);
  }

  @Test
  void portLevelModes_comeFromTheWorkloadPolicy_unsetPortsInheritItsMode() {
    PeerAuthentication spec = PeerAuthentication.newBuilder()
        .setSelector(WorkloadSelector.newBuilder().putMatchLabels("app", "reviews"))
        .setMtls(PeerAuthentication.MutualTLS.newBuilder().setMode(Mode.STRICT))
        .putPortLevelMtls(8080, PeerAuthentication.MutualTLS.newBuilder().setMode(Mode.DISABLE).build())
        .putPortLevelMtls(9090, PeerAuthentication.MutualTLS.newBuilder().setMode(Mode.UNSET).build())
        .build();
    PeerAuthenticationIndex index = PeerAuthenticationIndex.build(List.of(config("bookinfo", "reviews", 1, spec)), ROOT);

    PeerAuthenticationIndex.WorkloadMtls mtls = index.forWorkload("bookinfo", REVIEWS);
    assertThat(mtls.forPort(8080)).isEqualTo(MutualTlsMode.DISABLE);
    assertThat(mtls.forPort(9090)).isEqualTo(MutualTlsMode.STRICT);
    assertThat(mtls.forPort(7070)).isEqualTo(MutualTlsMode.STRICT);
    assertThat(mtls.perPort()).containsOnlyKeys(8080, 9090);
  }

  private static Config policy(String ns, String name, int age, Mode mode, Map<String, String> selector) {
    PeerAuthentication.Builder spec = PeerAuthentication.newBuilder();
    if (mode != null) {
      spec.setMtls(PeerAuthentication.MutualTLS.newBuilder().setMode(mode));
    }
    if (!selector.isEmpty()) {
      spec.setSelector(WorkloadSelector.newBuilder().putAllMatchLabels(selector));
    }
    return config(ns, name, age, spec.build());
  }

  private static Config config(String ns, String name, int age, PeerAuthentication spec) {
    return new Config(Kind.PEER_AUTHENTICATION,
        new ConfigMeta(name, ns, Map.of(), Map.of(), "", 0, Instant.EPOCH.plusSeconds(age), ""), spec);
  }
}
