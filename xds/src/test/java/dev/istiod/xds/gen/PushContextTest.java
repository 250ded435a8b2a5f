package dev.istiod.xds.gen;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.model.Config;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.Kind;
import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.model.Service;
import dev.istiod.model.TriggerReason;
import dev.istiod.model.push.SidecarScope;
import dev.istiod.api.networking.v1alpha3.VirtualService;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The PushContext's indexes as a sidecar sees them (the model module has no registry to test with). */
class PushContextTest {
  static String header(String namespace, String labels) {
    return """
        kind: ProxyUnderTest
        nodeId: sidecar~10.0.0.10~app-abc.%1$s~%1$s.svc.cluster.local
        metadata: {NAMESPACE: %1$s, INSTANCE_IPS: 10.0.0.10, LABELS: %2$s}
        """.formatted(namespace, labels);
  }

  static final String SIDECARS = """
      ---
      apiVersion: networking.istio.io/v1
      kind: Sidecar
      metadata: {name: root-default, namespace: istio-system}
      spec:
        egress: [{hosts: ["istio-system/*"]}]
      ---
      apiVersion: networking.istio.io/v1
      kind: Sidecar
      metadata: {name: ns-default, namespace: shop}
      spec:
        egress: [{hosts: ["./*"]}]
      ---
      apiVersion: networking.istio.io/v1
      kind: Sidecar
      metadata: {name: for-cart, namespace: shop}
      spec:
        workloadSelector: {labels: {app: cart}}
        egress: [{hosts: ["*/*"]}]
        outboundTrafficPolicy: {mode: REGISTRY_ONLY}
      """;

  @Test
  void sidecarScope_selectorMatchingTheProxy_winsOverTheNamespaceDefault() throws Exception {
    SidecarScope scope = scope(header("shop", "{app: cart}") + SIDECARS);
    assertThat(scope.name()).isEqualTo("for-cart");
    assertThat(scope.allowAnyOutbound()).isFalse();
  }

  @Test
  void sidecarScope_withoutMatchingSelector_usesTheNamespaceDefault() throws Exception {
    assertThat(scope(header("shop", "{app: web}") + SIDECARS).name()).isEqualTo("ns-default");
  }

  @Test
  void sidecarScope_namespaceWithoutSidecar_usesTheRootNamespaceDefault() throws Exception {
    SidecarScope scope = scope(header("billing", "{app: web}") + SIDECARS);
    assertThat(scope.name()).isEqualTo("root-default");
    assertThat(scope.namespace()).isEqualTo("billing");
  }

  @Test
  void sidecarScope_withoutAnySidecar_importsEveryVisibleService() throws Exception {
    SidecarScope scope = scope(header("shop", "{app: web}") + GeneratorsTest.SERVICES);
    assertThat(scope.name()).isEqualTo(SidecarScope.DEFAULT_NAME);
    assertThat(scope.services()).extracting(Service::hostname)
        .containsExactlyInAnyOrder("reviews.default.svc.cluster.local", "ratings.default.svc.cluster.local");
    assertThat(scope.allowAnyOutbound()).isTrue();
  }

  @Test
  void virtualServices_exportedToTheirOwnNamespace_areInvisibleElsewhere() throws Exception {
    String vs = """
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: private, namespace: shop}
        spec:
          hosts: [cart]
          exportTo: ["."]
          http: [{route: [{destination: {host: cart}}]}]
        """;
    PushContext push = Scenario.parse(header("shop", "{}") + vs).push();
    assertThat(push.virtualServices("shop", "mesh")).hasSize(1);
    assertThat(push.virtualServices("other", "mesh")).isEmpty();
    VirtualService resolved = push.virtualServices("shop", "mesh").get(0).spec(VirtualService.class);
    assertThat(resolved.getHosts(0)).isEqualTo("cart.shop.svc.cluster.local");
    assertThat(resolved.getHttp(0).getRoute(0).getDestination().getHost()).isEqualTo("cart.shop.svc.cluster.local");
  }

  @Test
  void build_requestNamingAVirtualService_picksUpItsChange_andKeepsScopesForEndpointPushes() throws Exception {
    String vs = """
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: cart, namespace: shop}
        spec:
          hosts: [cart]
          http: [{route: [{destination: {host: cart, subset: v1}}]}]
        """;
    Scenario s = Scenario.parse(header("shop", "{}") + vs);
    PushContext first = s.push();
    Config old = s.store.get(new ConfigKey(Kind.VIRTUAL_SERVICE, "shop", "cart")).orElseThrow();
    VirtualService.Builder spec = old.spec(VirtualService.class).toBuilder();
    spec.getHttpBuilder(0).getRouteBuilder(0).getDestinationBuilder().setSubset("v2");
    s.store.update(new Config(old.kind(), old.meta(), spec.build()));

    PushContext second = PushContext.build(s.env, "2", first,
        PushRequest.full(TriggerReason.CONFIG, Set.of(old.key())));
    assertThat(second.virtualServices("shop", "mesh").get(0).spec(VirtualService.class)
        .getHttp(0).getRoute(0).getDestination().getSubset()).isEqualTo("v2");
    assertThat(second.version()).isEqualTo("2");

    SidecarScope scope = second.sidecarScope(s.proxy);
    PushContext third = PushContext.build(s.env, "3", second, PushRequest.endpoints(Set.of()));
    assertThat(third.sidecarScope(s.proxy)).isSameAs(scope);
  }

  private static SidecarScope scope(String yaml) throws Exception {
    Scenario s = Scenario.parse(yaml);
    return s.push().sidecarScope(s.proxy);
  }
}
