package dev.istiod.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import org.junit.jupiter.api.Test;

class MeshConfigsTest {
  @Test
  void defaults_matchUpstream() {
    MeshConfig m = MeshConfigs.defaults();
    assertThat(m.getProxyListenPort()).isEqualTo(15001);
    assertThat(m.getProxyInboundListenPort()).isEqualTo(15006);
    assertThat(m.getOutboundTrafficPolicy().getMode()).isEqualTo(MeshConfig.OutboundTrafficPolicy.Mode.ALLOW_ANY);
    assertThat(m.getRootNamespace()).isEqualTo("istio-system");
    assertThat(m.getTrustDomain()).isEqualTo("cluster.local");
    assertThat(m.getConnectTimeout().getSeconds()).isEqualTo(10);
    assertThat(m.getDefaultConfig().getDiscoveryAddress()).isEqualTo("istiod.istio-system.svc:15012");
    assertThat(m.getEnableAutoMtls().getValue()).isTrue();
    assertThat(m.getExtensionProvidersList()).extracting(MeshConfig.ExtensionProvider::getName)
        .containsExactly("prometheus", "stackdriver", "envoy");
  }

  @Test
  void parse_yamlOverridesOnlyWhatItNames() {
    MeshConfig m = MeshConfigs.parse("""
        outboundTrafficPolicy: {mode: REGISTRY_ONLY}
        connectTimeout: 1m
        enableTracing: false
        defaultConfig:
          proxyMetadata: {FOO: bar}
        defaultServiceExportTo: ["."]
        extensionProviders:
        - name: envoy
          envoyFileAccessLog: {path: /dev/stderr}
        """);
    assertThat(m.getOutboundTrafficPolicy().getMode()).isEqualTo(MeshConfig.OutboundTrafficPolicy.Mode.REGISTRY_ONLY);
    assertThat(m.getConnectTimeout().getSeconds()).isEqualTo(60);
    assertThat(m.getEnableTracing()).isFalse();
    assertThat(m.getDefaultConfig().getProxyMetadataMap()).containsEntry("FOO", "bar");
    assertThat(m.getDefaultConfig().getDiscoveryAddress()).isEqualTo("istiod.istio-system.svc:15012");
    assertThat(m.getDefaultServiceExportToList()).containsExactly(".");
    assertThat(m.getExtensionProvidersList()).hasSize(3);
    assertThat(m.getExtensionProviders(2).getEnvoyFileAccessLog().getPath()).isEqualTo("/dev/stderr");
    assertThat(m.getRootNamespace()).isEqualTo("istio-system");
  }

  @Test
  void parse_blankText_isTheDefaults() {
    assertThat(MeshConfigs.parse("")).isEqualTo(MeshConfigs.defaults());
  }

  @Test
  void parse_unknownField_failsNamingIt() {
    assertThatThrownBy(() -> MeshConfigs.parse("noSuchField: 1"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("noSuchField");
  }

  @Test
  void parse_invalidDuration_failsNamingFieldPathAndValue() {
    assertThatThrownBy(() -> MeshConfigs.parse("defaultConfig: {drainDuration: soon}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("invalid mesh config: defaultConfig.drainDuration: invalid duration \"soon\" "
            + "(use Go syntax such as \"5s\", \"100ms\" or \"1h30m\")");
  }

  @Test
  void parse_aListForASingleValue_failsNamingTheField() {
    assertThatThrownBy(() -> MeshConfigs.parse("trustDomain: [example.org]"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("invalid mesh config: trustDomain: expected a single value, got a list");
    assertThatThrownBy(() -> MeshConfigs.parse("defaultConfig: {discoveryAddress: [a, b]}"))
        .hasMessage("invalid mesh config: defaultConfig.discoveryAddress: expected a single value, got a list");
  }
}
