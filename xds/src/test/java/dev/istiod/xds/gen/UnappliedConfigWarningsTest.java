package dev.istiod.xds.gen;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.api.extensions.v1alpha1.WasmPlugin;
import dev.istiod.api.networking.v1beta1.ProxyConfig;
import dev.istiod.api.security.v1beta1.AuthorizationPolicy;
import dev.istiod.api.security.v1beta1.Rule;
import dev.istiod.api.type.v1beta1.PolicyTargetReference;
import dev.istiod.api.security.v1beta1.JWTRule;
import dev.istiod.api.security.v1beta1.RequestAuthentication;
import dev.istiod.api.telemetry.v1alpha1.AccessLogging;
import dev.istiod.api.telemetry.v1alpha1.Metrics;
import dev.istiod.api.telemetry.v1alpha1.ProviderRef;
import dev.istiod.api.telemetry.v1alpha1.Telemetry;
import dev.istiod.api.type.v1beta1.PolicyTargetReference;
import dev.istiod.api.type.v1beta1.WorkloadSelector;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigEvent;
import dev.istiod.model.ConfigMeta;
import dev.istiod.model.Kind;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What istiod stores but does not apply is said once per object, never silently dropped. */
class UnappliedConfigWarningsTest {
  private final List<String> warnings = new ArrayList<>();
  private final UnappliedConfigWarnings reporter =
      new UnappliedConfigWarnings(dev.istiod.model.MeshConfigs::defaults, warnings::add);

  @Test
  void telemetryMetrics_areReportedOnce_andAgainOnlyWhenWhatIsIgnoredChanges() {
    Config metrics = telemetry(Telemetry.newBuilder().addMetrics(Metrics.getDefaultInstance()).build());
    Config metricsAndTracing = telemetry(metrics.spec(Telemetry.class).toBuilder()
        .addTracing(dev.istiod.api.telemetry.v1alpha1.Tracing.getDefaultInstance()).build());

    reporter.onEvent(ConfigEvent.added(metrics));
    reporter.onEvent(ConfigEvent.updated(metrics, metrics));
    reporter.onEvent(ConfigEvent.updated(metrics, metricsAndTracing));

    assertThat(warnings).containsExactly(
        "Telemetry default/t is stored but not fully applied: metrics (need istio-proxy's stats filter, which "
            + "upstream Envoy lacks) (this istiod applies only accessLogging with envoyFileAccessLog providers)",
        "Telemetry default/t is stored but not fully applied: metrics (need istio-proxy's stats filter, which "
            + "upstream Envoy lacks), tracing (this istiod applies only accessLogging with envoyFileAccessLog "
            + "providers)");
  }

  @Test
  void accessLoggingOnlyTelemetry_isFullyApplied_andSaysNothing() {
    reporter.onEvent(ConfigEvent.added(telemetry(Telemetry.newBuilder()
        .addAccessLogging(AccessLogging.newBuilder().addProviders(ProviderRef.newBuilder().setName("envoy")))
        .build())));

    assertThat(warnings).isEmpty();
  }

  @Test
  void accessLogProviders_theMeshDoesNotDefineOrThatAreNotFiles_areReported() {
    reporter.onEvent(ConfigEvent.added(telemetry(Telemetry.newBuilder()
        .addAccessLogging(AccessLogging.newBuilder().addProviders(ProviderRef.newBuilder().setName("nowhere"))
            .addProviders(ProviderRef.newBuilder().setName("stackdriver")))
        .build())));

    assertThat(warnings).containsExactly("Telemetry default/t is stored but not fully applied: accessLogging "
        + "provider nowhere (not in meshConfig.extensionProviders), accessLogging provider stackdriver "
        + "(stackdriver is not generated) (this istiod applies only accessLogging with envoyFileAccessLog "
        + "providers)");
  }

  @Test
  void wasmPluginAndProxyConfig_areReportedAsNotApplied_andForgottenWhenDeleted() {
    Config wasm = new Config(Kind.WASM_PLUGIN, ConfigMeta.of("default", "auth"),
        WasmPlugin.newBuilder().setUrl("oci://ghcr.io/example/auth:1").build());
    Config pc = new Config(Kind.PROXY_CONFIG, ConfigMeta.of("default", "pc"), ProxyConfig.getDefaultInstance());

    reporter.onEvent(ConfigEvent.added(wasm));
    reporter.onEvent(ConfigEvent.added(pc));
    reporter.onEvent(ConfigEvent.deleted(wasm));
    reporter.onEvent(ConfigEvent.added(wasm));

    assertThat(warnings).hasSize(3);
    assertThat(warnings.get(0)).isEqualTo("WasmPlugin default/auth (oci://ghcr.io/example/auth:1) is stored and "
        + "validated but not applied: this istiod serves no Wasm extensions to proxies");
    assertThat(warnings.get(1)).startsWith("ProxyConfig default/pc is stored and validated but not applied");
    assertThat(warnings.get(2)).isEqualTo(warnings.get(0));
  }

  @Test
  void customAndTargetRefAuthorizationPolicies_areReported_enforcedOnesAreNot() {
    AuthorizationPolicy deny = AuthorizationPolicy.newBuilder().setAction(AuthorizationPolicy.Action.DENY)
        .addRules(Rule.getDefaultInstance()).build();
    reporter.onEvent(ConfigEvent.added(authz("deny", deny)));
    reporter.onEvent(ConfigEvent.added(authz("ext", AuthorizationPolicy.newBuilder()
        .setAction(AuthorizationPolicy.Action.CUSTOM)
        .setProvider(AuthorizationPolicy.ExtensionProvider.newBuilder().setName("my-ext-authz")).build())));
    reporter.onEvent(ConfigEvent.added(authz("waypoint", deny.toBuilder()
        .addTargetRefs(PolicyTargetReference.newBuilder().setKind("Service").setName("reviews")).build())));

    assertThat(warnings).containsExactly(
        "AuthorizationPolicy default/ext is stored and validated but not applied: action CUSTOM (provider "
            + "my-ext-authz) needs ext_authz, which this istiod does not generate",
        "AuthorizationPolicy default/waypoint is stored and validated but not applied: targetRef/targetRefs "
            + "attach it to waypoints and Kubernetes Gateways, which this istiod does not serve");
  }

  private static Config authz(String name, AuthorizationPolicy spec) {
    return new Config(Kind.AUTHORIZATION_POLICY, ConfigMeta.of("default", name), spec);
  }

  @Test
  void requestAuthenticationWithTargetRefs_isReportedAsNotApplied_oneWithSelectorIsNot() {
    JWTRule rule = JWTRule.newBuilder().setIssuer("https://issuer.example.com").build();
    reporter.onEvent(ConfigEvent.added(new Config(Kind.REQUEST_AUTHENTICATION, ConfigMeta.of("default", "waypoint"),
        RequestAuthentication.newBuilder().addJwtRules(rule)
            .addTargetRefs(PolicyTargetReference.newBuilder().setKind("Service").setName("reviews")).build())));
    reporter.onEvent(ConfigEvent.added(new Config(Kind.REQUEST_AUTHENTICATION, ConfigMeta.of("default", "sidecar"),
        RequestAuthentication.newBuilder().addJwtRules(rule)
            .setSelector(WorkloadSelector.newBuilder().putMatchLabels("app", "reviews")).build())));

    assertThat(warnings).containsExactly("RequestAuthentication default/waypoint is stored but not applied: "
        + "targetRef/targetRefs bind it to waypoints and Kubernetes Gateways, which this istiod does not serve "
        + "(use a workload selector for sidecars and gateways)");
  }

  private static Config telemetry(Telemetry spec) {
    return new Config(Kind.TELEMETRY, ConfigMeta.of("default", "t"), spec);
  }
}
