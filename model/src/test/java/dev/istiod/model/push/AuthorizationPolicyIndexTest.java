package dev.istiod.model.push;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.api.security.v1beta1.AuthorizationPolicy;
import dev.istiod.api.type.v1beta1.PolicyTargetReference;
import dev.istiod.api.type.v1beta1.WorkloadSelector;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigMeta;
import dev.istiod.model.Kind;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which AuthorizationPolicies apply to a workload, as upstream's lookup. */
class AuthorizationPolicyIndexTest {
  private static final Map<String, String> REVIEWS = Map.of("app", "reviews", "version", "v1");

  @Test
  void rootNamespacePolicies_applyMeshWide_selectorOnesOnlyToMatchingWorkloadsOfEveryNamespace() {
    AuthorizationPolicyIndex index = AuthorizationPolicyIndex.build(List.of(
        policy("istio-system", "mesh-deny", AuthorizationPolicy.Action.DENY, Map.of()),
        policy("istio-system", "reviews-only", AuthorizationPolicy.Action.ALLOW, Map.of("app", "reviews")),
        policy("istio-system", "ratings-only", AuthorizationPolicy.Action.ALLOW, Map.of("app", "ratings"))),
        "istio-system");

    var applied = index.forWorkload("bookinfo", REVIEWS);

    assertThat(applied.deny()).extracting(Config::name).containsExactly("mesh-deny");
    assertThat(applied.allow()).extracting(Config::name).containsExactly("reviews-only");
  }

  @Test
  void namespacePolicies_applyToTheirOwnNamespace_byActionAndSelector() {
    AuthorizationPolicyIndex index = AuthorizationPolicyIndex.build(List.of(
        policy("bookinfo", "b-audit", AuthorizationPolicy.Action.AUDIT, Map.of()),
        policy("bookinfo", "a-allow", AuthorizationPolicy.Action.ALLOW, Map.of("version", "v1")),
        policy("bookinfo", "custom", AuthorizationPolicy.Action.CUSTOM, Map.of()),
        policy("bookinfo", "v2-only", AuthorizationPolicy.Action.DENY, Map.of("version", "v2")),
        policy("other", "elsewhere", AuthorizationPolicy.Action.DENY, Map.of())),
        "istio-system");

    var applied = index.forWorkload("bookinfo", REVIEWS);

    assertThat(applied.allow()).extracting(Config::name).containsExactly("a-allow");
    assertThat(applied.audit()).extracting(Config::name).containsExactly("b-audit");
    assertThat(applied.custom()).extracting(Config::name).containsExactly("custom");
    assertThat(applied.deny()).isEmpty();
    assertThat(index.forWorkload("ratings", Map.of()).isEmpty()).as("a namespace without policies").isTrue();
  }

  @Test
  void targetRefPolicies_applyToNoSidecarOrGateway() {
    Config waypoint = new Config(Kind.AUTHORIZATION_POLICY, ConfigMeta.of("bookinfo", "waypoint"),
        AuthorizationPolicy.newBuilder().setAction(AuthorizationPolicy.Action.DENY)
            .addTargetRefs(PolicyTargetReference.newBuilder().setKind("Service").setName("reviews")).build());

    assertThat(AuthorizationPolicyIndex.build(List.of(waypoint), "istio-system").forWorkload("bookinfo", REVIEWS)
        .isEmpty()).isTrue();
  }

  private static Config policy(String ns, String name, AuthorizationPolicy.Action action, Map<String, String> selector) {
    AuthorizationPolicy.Builder p = AuthorizationPolicy.newBuilder().setAction(action);
    if (!selector.isEmpty()) {
      p.setSelector(WorkloadSelector.newBuilder().putAllMatchLabels(selector));
    }
    return new Config(Kind.AUTHORIZATION_POLICY, ConfigMeta.of(ns, name), p.build());
  }
}
