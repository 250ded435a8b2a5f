package dev.istiod.model.push;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.api.security.v1beta1.JWTRule;
import dev.istiod.api.security.v1beta1.RequestAuthentication;
import dev.istiod.api.type.v1beta1.PolicyTargetReference;
import dev.istiod.api.type.v1beta1.WorkloadSelector;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigMeta;
import dev.istiod.model.Kind;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestAuthenticationIndexTest {
  private static final String ROOT = "istio-system";
  private static final Map<String, String> REVIEWS = Map.of("app", "reviews", "version", "v1");

  @Test
  void noPolicy_givesNoRules() {
    assertThat(RequestAuthenticationIndex.empty(ROOT).jwtRules("default", REVIEWS)).isEmpty();
  }

  @Test
  void everyMatchingPolicy_contributes_rulesSortedByIssuer() {
    RequestAuthenticationIndex index = RequestAuthenticationIndex.build(List.of(
        policy("default", "namespace-wide", 1, Map.of(), "z-namespace"),
        policy("default", "workload", 2, Map.of("app", "reviews"), "b-workload", "a-workload"),
        policy(ROOT, "mesh-wide", 3, Map.of(), "m-mesh"),
        policy(ROOT, "root-selector", 4, Map.of("app", "reviews"), "r-root-selector")), ROOT);

    assertThat(index.jwtRules("default", REVIEWS)).extracting(JWTRule::getIssuer)
        .containsExactly("a-workload", "b-workload", "m-mesh", "r-root-selector", "z-namespace");
  }

  @Test
  void policiesOfOtherNamespacesOrLabels_andTargetRefPolicies_doNotApply() {
    RequestAuthenticationIndex index = RequestAuthenticationIndex.build(List.of(
        policy("other", "elsewhere", 1, Map.of(), "other-ns"),
        policy("default", "ratings", 2, Map.of("app", "ratings"), "ratings"),
        policy("default", "subset", 3, Map.of("app", "reviews", "version", "v2"), "v2-only"),
        config("default", "waypoint", 4, RequestAuthentication.newBuilder()
            .addTargetRefs(PolicyTargetReference.newBuilder().setKind("Service").setName("reviews"))
            .addJwtRules(JWTRule.newBuilder().setIssuer("waypoint")).build())), ROOT);

    assertThat(index.jwtRules("default", REVIEWS)).isEmpty();
    assertThat(index.forWorkload("default", Map.of("app", "ratings"))).extracting(Config::name)
        .containsExactly("ratings");
  }

  @Test
  void workloadInRootNamespace_seesRootPoliciesOnce() {
    RequestAuthenticationIndex index = RequestAuthenticationIndex.build(List.of(
        policy(ROOT, "gateway", 1, Map.of("istio", "ingressgateway"), "gw")), ROOT);

    assertThat(index.jwtRules(ROOT, Map.of("istio", "ingressgateway"))).extracting(JWTRule::getIssuer)
        .containsExactly("gw");
  }

  private static Config policy(String ns, String name, int age, Map<String, String> selector, String... issuers) {
    RequestAuthentication.Builder spec = RequestAuthentication.newBuilder();
    if (!selector.isEmpty()) {
      spec.setSelector(WorkloadSelector.newBuilder().putAllMatchLabels(selector));
    }
    for (String issuer : issuers) {
      spec.addJwtRules(JWTRule.newBuilder().setIssuer(issuer));
    }
    return config(ns, name, age, spec.build());
  }

  private static Config config(String ns, String name, int age, RequestAuthentication spec) {
    return new Config(Kind.REQUEST_AUTHENTICATION,
        new ConfigMeta(name, ns, Map.of(), Map.of(), "", 0, Instant.EPOCH.plusSeconds(age), ""), spec);
  }
}
