package dev.istiod.webhook.inject;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.istiod.model.MeshConfigs;
import dev.istiod.webhook.AdmissionRequest;
import dev.istiod.webhook.AdmissionResponse;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The injector's rules outside the golden cases: selection, path settings, errors, settings. */
class InjectionRulesTest {
  private static ObjectNode pod(String yaml) {
    return PodYaml.read(yaml);
  }

  @Test
  void policy_labelWinsOverAnnotation_andSelectorsApplyOnlyWithoutAnExplicitChoice() {
    InjectionConfig config = InjectionConfig.parse("""
        policy: disabled
        alwaysInjectSelector:
        - matchLabels: {mesh: "yes"}
        neverInjectSelector:
        - matchExpressions: [{key: batch, operator: Exists}]
        """);
    assertThat(InjectionPolicy.required(config, pod("metadata: {labels: {mesh: 'yes'}}"), "ns")).isTrue();
    assertThat(InjectionPolicy.required(config, pod("metadata: {labels: {mesh: 'yes', batch: x}}"), "ns")).isFalse();
    assertThat(InjectionPolicy.required(config, pod("metadata: {}"), "ns")).isFalse();
    assertThat(InjectionPolicy.required(config,
        pod("metadata: {labels: {batch: x, sidecar.istio.io/inject: 'true'}}"), "ns")).isTrue();
    assertThat(InjectionPolicy.required(config, pod("""
        metadata:
          labels: {sidecar.istio.io/inject: 'false'}
          annotations: {sidecar.istio.io/inject: 'true'}
        """), "ns")).isFalse();
    assertThat(InjectionPolicy.required(config, pod("metadata: {annotations: {sidecar.istio.io/inject: 'true'}}"),
        "ns")).isTrue();
  }

  @Test
  void policy_skipsHostNetworkAndSystemNamespaces_andUnknownPolicies() {
    InjectionConfig enabled = InjectionConfig.defaults();
    assertThat(InjectionPolicy.required(enabled, pod("metadata: {}"), "default")).isTrue();
    assertThat(InjectionPolicy.required(enabled, pod("spec: {hostNetwork: true}"), "default")).isFalse();
    for (String ns : List.of("kube-system", "kube-public", "kube-node-lease", "local-path-storage")) {
      assertThat(InjectionPolicy.required(enabled, pod("metadata: {}"), ns)).as(ns).isFalse();
    }
    assertThat(InjectionPolicy.required(InjectionConfig.parse("policy: sometimes"), pod("metadata: {}"), "default"))
        .isFalse();
  }

  @Test
  void pathSegments_becomeProxyEnv() {
    assertThat(InjectPath.envs("/inject")).isEmpty();
    assertThat(InjectPath.envs("/inject/")).isEmpty();
    assertThat(InjectPath.envs("/inject/cluster/c1/net/n1/"))
        .containsExactly(Map.entry("ISTIO_META_CLUSTER_ID", "c1"), Map.entry("ISTIO_META_NETWORK", "n1"));
    assertThat(InjectPath.envs("/inject/custom_key/a--slash--b/odd"))
        .containsExactly(Map.entry("CUSTOM_KEY", "a/b"));
    assertThat(InjectPath.envs("/inject/:ENV:cluster=c2:ENV:net=:ENV:=bad"))
        .containsExactly(Map.entry("ISTIO_META_CLUSTER_ID", "c2"), Map.entry("ISTIO_META_NETWORK", ""));
  }

  @Test
  void invalidAnnotations_failInjection_withUpstreamsMessage() {
    ObjectNode p = pod("""
        metadata:
          name: bad
          namespace: default
          annotations:
            sidecar.istio.io/interceptionMode: MAGIC
            traffic.sidecar.istio.io/excludeOutboundIPRanges: 10.0.0.0/33
            traffic.sidecar.istio.io/excludeInboundPorts: "80,http"
        spec: {containers: [{name: app, image: app}]}
        """);

    assertThatThrownBy(() -> Injector.inject(p, params(InjectionSettings.defaults())))
        .isInstanceOf(InjectionException.class)
        .hasMessage("failed to run injection template: 3 errors occurred:\n"
            + "\t* invalid value 'MAGIC' for annotation 'sidecar.istio.io/interceptionMode': "
            + "interceptionMode invalid, use REDIRECT,TPROXY,NONE: MAGIC\n"
            + "\t* invalid value '80,http' for annotation 'traffic.sidecar.istio.io/excludeInboundPorts': "
            + "excludeInboundPorts invalid: failed parsing port 'http': failed parsing port 'http': "
            + "strconv.ParseUint: parsing \"http\": invalid syntax\n"
            + "\t* invalid value '10.0.0.0/33' for annotation 'traffic.sidecar.istio.io/excludeOutboundIPRanges': "
            + "excludeIPRanges invalid: failed parsing cidr '10.0.0.0/33': netip.ParsePrefix(\"10.0.0.0/33\"): "
            + "invalid prefix\n\n");
  }

  @Test
  void cidrs_areCheckedLikeGo() {
    assertThat(AnnotationChecks.isPrefix("10.0.0.0/8")).isTrue();
    assertThat(AnnotationChecks.isPrefix("fd00::/8")).isTrue();
    assertThat(AnnotationChecks.isPrefix("10.0.0.0")).isFalse();
    assertThat(AnnotationChecks.isPrefix("010.0.0.0/8")).isFalse();
    assertThat(AnnotationChecks.isPrefix("example.com/8")).isFalse();
    assertThat(AnnotationChecks.isPrefix("fd00::/129")).isFalse();
  }

  @Test
  void unknownTemplate_isRefused_andTheWebhookDeniesThePod() {
    ObjectNode p = pod("""
        metadata:
          name: gw
          namespace: default
          annotations: {inject.istio.io/templates: waypoint}
        spec: {containers: [{name: istio-proxy, image: auto}]}
        """);
    PrometheusRegistry metrics = new PrometheusRegistry();
    InjectionWebhook webhook = new InjectionWebhook(InjectionSettings::defaults, MeshConfigs::defaults,
        NativeSidecars.fixed(false), "", "", metrics);

    AdmissionResponse r = webhook.admit(request(p), "/inject");

    assertThat(r.allowed()).isFalse();
    assertThat(r.message()).isEqualTo(
        "failed to run injection template: requested template \"waypoint\" not found; have gateway, sidecar");
    assertThat(gauge(metrics, "sidecar_injection_requests_total")).isEqualTo(1);
    assertThat(gauge(metrics, "sidecar_injection_failure_total")).isEqualTo(1);
  }

  @Test
  void skippedPods_areAllowedUnchanged_andCounted() {
    PrometheusRegistry metrics = new PrometheusRegistry();
    InjectionWebhook webhook = new InjectionWebhook(InjectionSettings::defaults, MeshConfigs::defaults,
        NativeSidecars.fixed(false), "", "", metrics);

    AdmissionResponse r = webhook.admit(request(pod("""
        metadata: {name: p, namespace: default, labels: {sidecar.istio.io/inject: "false"}}
        spec: {containers: [{name: app, image: app}]}
        """)), "/inject");

    assertThat(r.allowed()).isTrue();
    assertThat(r.patch()).isEmpty();
    assertThat(gauge(metrics, "sidecar_injection_skip_total")).isEqualTo(1);
  }

  @Test
  void settings_fromAChartRenderedConfigMap() {
    InjectionSettings s = InjectionSettings.fromConfigMap(Map.of(
        "config", """
            defaultTemplates: [sidecar]
            policy: enabled
            alwaysInjectSelector: []
            neverInjectSelector: []
            injectedAnnotations:
              "example.com/psp": "restricted"
            template: "{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}"
            templates:
              sidecar: |
                metadata: {}
              gateway: |
                metadata: {}
            """,
        "values", """
            {"global": {"hub": "registry.example/istio", "tag": "1.28.2", "proxy": {"statusPort": 15020}},
             "revision": "", "sidecarInjectorWebhook": {"rewriteAppHTTPProbe": false},
             "pilot": {"cni": {"enabled": false}, "env": {}}}
            """));

    assertThat(s.config().injectedAnnotations()).containsEntry("example.com/psp", "restricted");
    assertThat(s.config().templateNames()).containsExactlyInAnyOrder("sidecar", "gateway");
    assertThat(s.values().str("global.hub")).isEqualTo("registry.example/istio");
    assertThat(s.values().str("global.proxy.logLevel")).as("chart default kept").isEqualTo("warning");
    assertThat(s.values().truthy("sidecarInjectorWebhook.rewriteAppHTTPProbe")).isFalse();
  }

  @Test
  void nativeSidecars_auto_followsTheNodesKubelets() {
    Map<String, String> nodes = Map.of("new", "v1.33.2", "old", "v1.31.4-eks-1234");
    NativeSidecars.NodeVersions versions = new NativeSidecars.NodeVersions() {
      @Override
      public Optional<String> kubeletVersion(String nodeName) {
        return Optional.ofNullable(nodes.get(nodeName));
      }

      @Override
      public List<String> allKubeletVersions() {
        return List.copyOf(nodes.values());
      }
    };
    NativeSidecars auto = NativeSidecars.forMode("auto", Optional.of(versions));

    assertThat(auto.enabledFor("new")).isTrue();
    assertThat(auto.enabledFor("old")).isFalse();
    assertThat(auto.enabledFor("")).as("unscheduled: every node must support them").isFalse();
    assertThat(NativeSidecars.forMode("auto", Optional.empty()).enabledFor("new")).isFalse();
    assertThat(NativeSidecars.forMode("true", Optional.empty()).enabledFor("")).isTrue();
  }

  @Test
  void deployMeta_recognisesControllers() {
    assertThat(DeployMeta.fromPod(pod("""
        metadata:
          generateName: nightly-28861234-
          namespace: jobs
          ownerReferences: [{apiVersion: batch/v1, kind: Job, name: nightly-28861234, controller: true}]
        """))).isEqualTo(new DeployMeta("nightly", "jobs", "batch/v1", "CronJob"));
    assertThat(DeployMeta.fromPod(pod("""
        metadata:
          generateName: web-0
          namespace: apps
          ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: web, controller: true}]
        """))).isEqualTo(new DeployMeta("web", "apps", "apps/v1", "StatefulSet"));
    assertThat(DeployMeta.fromPod(pod("metadata: {name: bare, namespace: ns}")))
        .isEqualTo(new DeployMeta("bare", "ns", "v1", "Pod"));
  }

  @Test
  void proxyImage_variantsReplaceKnownSuffixes() {
    assertThat(ProxyImages.withImageType("1.28.0", "distroless")).isEqualTo("1.28.0-distroless");
    assertThat(ProxyImages.withImageType("1.28.0-distroless", "debug")).isEqualTo("1.28.0-debug");
    assertThat(ProxyImages.withImageType("1.28.0-distroless", "default")).isEqualTo("1.28.0");
    assertThat(ProxyImages.withImageType("1.28.0", "")).isEqualTo("1.28.0");
  }

  private static Injector.Params params(InjectionSettings settings) {
    return new Injector.Params(settings, MeshConfigs.defaults(), "", false, Map.of(), "");
  }

  private static AdmissionRequest request(ObjectNode pod) {
    return new AdmissionRequest("uid", new AdmissionRequest.GroupVersionKind("", "v1", "Pod"),
        new AdmissionRequest.GroupVersionResource("", "v1", "pods"), "", pod.path("metadata").path("name").asText(),
        "default", "CREATE", pod, MissingNode.getInstance(), false);
  }

  private static double gauge(PrometheusRegistry registry, String name) {
    return registry.scrape().stream().filter(s -> s.getMetadata().getPrometheusName().equals(name))
        .map(s -> ((GaugeSnapshot) s).getDataPoints().get(0).getValue()).findFirst().orElse(-1.0);
  }
}
