package dev.istiod.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import dev.istiod.api.mesh.v1alpha1.AuthenticationPolicy;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.mesh.v1alpha1.ProxyConfig;
import dev.istiod.api.networking.v1alpha3.LocalityLoadBalancerSetting;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The mesh config istiod runs with: upstream's defaults ({@code pkg/config/mesh DefaultMeshConfig})
 * with the user's YAML (the {@code mesh} key of the {@code istio} ConfigMap) applied over them.
 *
 * <p>Applying follows upstream's {@code ApplyMeshConfig}: scalar and message fields the YAML sets
 * replace (messages merge field by field, so {@code defaultConfig} keeps the defaults it does not
 * mention), lists the YAML sets replace the default list, and {@code extensionProviders} are
 * merged by name so the built-in {@code prometheus}, {@code stackdriver} and {@code envoy}
 * providers stay unless redefined.
 */
public final class MeshConfigs {
  private static final String EXTENSION_PROVIDERS = "extensionProviders";

  private MeshConfigs() {}

  /** Upstream's default ProxyConfig ({@code DefaultProxyConfig}). */
  public static ProxyConfig defaultProxyConfig() {
    return ProxyConfig.newBuilder()
        .setConfigPath("./etc/istio/proxy")
        .setServiceCluster("istio-proxy")
        .setDrainDuration(seconds(45))
        .setTerminationDrainDuration(seconds(5))
        .setProxyAdminPort(15000)
        .setControlPlaneAuthPolicy(AuthenticationPolicy.MUTUAL_TLS)
        .setDiscoveryAddress("istiod.istio-system.svc:15012")
        .setBinaryPath("/usr/local/bin/envoy")
        .setStatNameLength(189)
        .setStatusPort(15020)
        .build();
  }

  /** Upstream's default MeshConfig ({@code DefaultMeshConfig}). */
  public static MeshConfig defaults() {
    MeshConfig.Builder b = MeshConfig.newBuilder()
        .setEnableTracing(true)
        .setAccessLogEncoding(MeshConfig.AccessLogEncoding.TEXT)
        .setProtocolDetectionTimeout(seconds(0))
        .setIngressService("istio-ingressgateway")
        .setIngressControllerMode(MeshConfig.IngressControllerMode.STRICT)
        .setIngressClass("istio")
        .setTrustDomain("cluster.local")
        .setEnableAutoMtls(BoolValue.of(true))
        .setOutboundTrafficPolicy(MeshConfig.OutboundTrafficPolicy.newBuilder()
            .setMode(MeshConfig.OutboundTrafficPolicy.Mode.ALLOW_ANY))
        .setInboundTrafficPolicy(MeshConfig.InboundTrafficPolicy.newBuilder()
            .setMode(MeshConfig.InboundTrafficPolicy.Mode.PASSTHROUGH))
        .setLocalityLbSetting(LocalityLoadBalancerSetting.newBuilder().setEnabled(BoolValue.of(true)))
        .setDefaultConfig(defaultProxyConfig())
        .setRootNamespace("istio-system")
        .setProxyListenPort(15001)
        .setProxyInboundListenPort(15006)
        .setConnectTimeout(seconds(10))
        .addDefaultServiceExportTo("*")
        .addDefaultVirtualServiceExportTo("*")
        .addDefaultDestinationRuleExportTo("*")
        .setDnsRefreshRate(seconds(60))
        .setEnablePrometheusMerge(BoolValue.of(true))
        .setDefaultProviders(MeshConfig.DefaultProviders.getDefaultInstance());
    b.addExtensionProvidersBuilder().setName("prometheus")
        .setPrometheus(MeshConfig.ExtensionProvider.PrometheusMetricsProvider.getDefaultInstance());
    b.addExtensionProvidersBuilder().setName("stackdriver")
        .setStackdriver(MeshConfig.ExtensionProvider.StackdriverProvider.getDefaultInstance());
    b.addExtensionProvidersBuilder().setName("envoy")
        .setEnvoyFileAccessLog(MeshConfig.ExtensionProvider.EnvoyFileAccessLogProvider.newBuilder().setPath("/dev/stdout"));
    return b.build();
  }

  /** The defaults with {@code yamlOrJson} applied; blank text yields the defaults. */
  public static MeshConfig parse(String yamlOrJson) {
    return apply(defaults(), yamlOrJson);
  }

  /**
   * Applies mesh config YAML or JSON over {@code base}.
   *
   * @throws IllegalArgumentException with the parser's message when the text is not valid YAML,
   *     names an unknown field, or has a value of the wrong type
   */
  public static MeshConfig apply(MeshConfig base, String yamlOrJson) {
    JsonNode tree = ProtoYaml.readTree(yamlOrJson);
    if (!tree.isObject()) {
      throw new IllegalArgumentException("mesh config must be a YAML mapping, got " + tree.getNodeType());
    }
    ObjectNode obj = (ObjectNode) tree.deepCopy();
    MeshConfig.Builder b = base.toBuilder();
    List<MeshConfig.ExtensionProvider> providers = new ArrayList<>(base.getExtensionProvidersList());
    JsonNode userProviders = obj.remove(EXTENSION_PROVIDERS);
    try {
      ProtoYaml.overlay(obj, b);
      if (userProviders != null) {
        MeshConfig.Builder only = MeshConfig.newBuilder();
        ObjectNode wrapper = obj.objectNode();
        wrapper.set(EXTENSION_PROVIDERS, userProviders);
        ProtoYaml.merge(wrapper, only, false);
        providers = mergeProviders(providers, only.getExtensionProvidersList());
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid mesh config: " + e.getMessage(), e);
    }
    b.clearExtensionProviders().addAllExtensionProviders(providers);
    return b.build();
  }

  private static List<MeshConfig.ExtensionProvider> mergeProviders(List<MeshConfig.ExtensionProvider> defaults,
      List<MeshConfig.ExtensionProvider> user) {
    Map<String, MeshConfig.ExtensionProvider> byName = new LinkedHashMap<>();
    defaults.forEach(p -> byName.put(p.getName(), p));
    user.forEach(p -> byName.put(p.getName(), p));
    return List.copyOf(byName.values());
  }

  private static Duration seconds(long s) {
    return Duration.newBuilder().setSeconds(s).build();
  }
}
