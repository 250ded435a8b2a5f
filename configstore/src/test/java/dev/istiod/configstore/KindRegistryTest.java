package dev.istiod.configstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.istiod.api.networking.v1alpha3.EnvoyFilter;
import dev.istiod.api.networking.v1alpha3.VirtualService;
import dev.istiod.model.Kind;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KindRegistryTest {
  private final KindRegistry registry = KindRegistry.istio();

  @Test
  void istio_coversEveryIstioKind() {
    assertThat(registry.schemas()).extracting(KindSchema::kind)
        .containsExactlyElementsOf(Arrays.stream(Kind.values()).filter(Kind::isIstioConfig).toList());
  }

  @ParameterizedTest
  @CsvSource({
      "networking.istio.io/v1, VirtualService, VIRTUAL_SERVICE",
      "networking.istio.io/v1beta1, DestinationRule, DESTINATION_RULE",
      "networking.istio.io/v1alpha3, Sidecar, SIDECAR",
      "networking.istio.io/v1alpha3, EnvoyFilter, ENVOY_FILTER",
      "security.istio.io/v1, AuthorizationPolicy, AUTHORIZATION_POLICY",
      "security.istio.io/v1beta1, PeerAuthentication, PEER_AUTHENTICATION",
  })
  void lookup_servedVersion_findsKind(String apiVersion, String kind, Kind expected) {
    assertThat(registry.lookup(apiVersion, kind).kind()).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource({
      "networking.istio.io/v9, Foo",
      "networking.istio.io/v1, EnvoyFilter",
      "security.istio.io/v1alpha3, PeerAuthentication",
      "v1, Service",
      "gateway.networking.k8s.io/v1, Gateway",
  })
  void lookup_unknownKindOrVersion_failsNamingBoth(String apiVersion, String kind) {
    assertThatThrownBy(() -> registry.lookup(apiVersion, kind))
        .isInstanceOf(UnknownKindException.class)
        .hasMessage("unknown kind " + apiVersion + " " + kind);
  }

  @Test
  void schema_carriesUpstreamVersionsAndProto() {
    KindSchema vs = registry.schema(Kind.VIRTUAL_SERVICE);
    assertThat(vs.servedVersions()).containsExactly("v1", "v1beta1", "v1alpha3");
    assertThat(vs.apiVersion()).isEqualTo("networking.istio.io/v1");
    assertThat(vs.plural()).isEqualTo("virtualservices");
    assertThat(vs.defaultSpec()).isEqualTo(VirtualService.getDefaultInstance());
    KindSchema ef = registry.schema(Kind.ENVOY_FILTER);
    assertThat(ef.servedVersions()).containsExactly("v1alpha3");
    assertThat(ef.defaultSpec()).isInstanceOf(EnvoyFilter.class);
    assertThat(registry.schema(Kind.REQUEST_AUTHENTICATION).servedVersions()).containsExactly("v1", "v1beta1");
  }

  @Test
  void findByGroupKind_ignoresVersion_forTheWebhook() {
    assertThat(registry.findByGroupKind("networking.istio.io", "Gateway")).map(KindSchema::kind).hasValue(Kind.GATEWAY);
    assertThat(registry.findByGroupKind("gateway.networking.k8s.io", "Gateway")).isEmpty();
  }

  @Test
  void schema_pseudoKind_isRejected() {
    assertThatThrownBy(() -> registry.schema(Kind.SERVICE)).hasMessageContaining("not registered");
  }
}
