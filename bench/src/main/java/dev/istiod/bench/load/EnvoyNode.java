package dev.istiod.bench.load;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.BuildVersion;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.type.v3.SemanticVersion;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The {@link Node} a simulated proxy sends on its first request: what Envoy sends when pilot-agent rendered its
 * bootstrap from Istio's default template ({@code envoy_bootstrap_tmpl.json}: id, cluster, locality, metadata) plus
 * what Envoy adds by itself (user agent, build version, client features).
 *
 * <p>The metadata carries the keys pilot-agent fills for an injected pod with the default mesh config (names and
 * shapes from ISTIO-COMPAT.md §3: strings, except the two Envoy port numbers; {@code LABELS}, {@code ANNOTATIONS}
 * and {@code PROXY_CONFIG} are objects, {@code PILOT_SAN} a list, {@code POD_PORTS} a JSON string). It never sets
 * {@code Node.extensions}: that list is what tells a control plane which Envoy build it talks to, and the load
 * test must look the same to every control plane it measures.
 */
final class EnvoyNode {
  /**
   * What the node claims to be.
   *
   * @param istioVersion pilot-agent's version, {@code ISTIO_VERSION}
   * @param envoyVersion Envoy's version {@code major.minor.patch}, sent as {@code user_agent_build_version}
   * @param clusterId {@code CLUSTER_ID}, the Kubernetes cluster's name in the mesh
   * @param meshId {@code MESH_ID}, the trust domain by default
   * @param domain the cluster's DNS domain, {@code cluster.local}
   */
  record Options(String istioVersion, String envoyVersion, String clusterId, String meshId, String domain) {
    Options {
      Objects.requireNonNull(istioVersion, "istioVersion");
      Objects.requireNonNull(clusterId, "clusterId");
      Objects.requireNonNull(meshId, "meshId");
      Objects.requireNonNull(domain, "domain");
      semanticVersion(envoyVersion);
    }

    static Options defaults() {
      return new Options("1.31-dev", "1.36.2", "Kubernetes", "cluster.local", "cluster.local");
    }
  }

  private EnvoyNode() {}

  static Node of(Workload w, Options o) {
    String nodeId = w.kind().nodeType() + "~" + w.ip() + "~" + w.pod() + "." + w.namespace() + "~" + w.namespace()
        + ".svc." + o.domain();
    String app = w.labels().get("app");
    return Node.newBuilder()
        .setId(nodeId)
        // ProxyConfig.serviceCluster is "istio-proxy" by default, which pilot-agent replaces by <app>.<namespace>,
        // or <workload>.<namespace> without an app label.
        .setCluster((app != null ? app : w.workloadName()) + "." + w.namespace())
        .setLocality(Locality.getDefaultInstance())
        .setMetadata(metadata(w, o))
        .setUserAgentName("envoy")
        .setUserAgentBuildVersion(BuildVersion.newBuilder()
            .setVersion(semanticVersion(o.envoyVersion()))
            .setMetadata(structOf(Map.of(
                "revision.sha", text("0000000000000000000000000000000000000000"),
                "revision.status", text("Clean"),
                "build.type", text("RELEASE"),
                "ssl.version", text("BoringSSL")))))
        .addClientFeatures("envoy.lb.does_not_support_overprovisioning")
        .addClientFeatures("envoy.lrs.supports_send_all_clusters")
        .build();
  }

  static Struct metadata(Workload w, Options o) {
    Map<String, Value> m = new TreeMap<>();
    m.put("ANNOTATIONS", struct(strings(Map.of(
        "istio.io/rev", "default",
        "kubectl.kubernetes.io/default-container", "app",
        "kubectl.kubernetes.io/default-logs-container", "app",
        "prometheus.io/path", "/stats/prometheus",
        "prometheus.io/port", "15020",
        "prometheus.io/scrape", "true"))));
    m.put("APP_CONTAINERS", text("app"));
    m.put("CLUSTER_ID", text(o.clusterId()));
    m.put("ENVOY_PROMETHEUS_PORT", number(15090));
    m.put("ENVOY_STATUS_PORT", number(15021));
    m.put("INSTANCE_IPS", text(w.ip()));
    if (w.kind() == Workload.Kind.SIDECAR) {
      m.put("INTERCEPTION_MODE", text("REDIRECT"));
    }
    m.put("ISTIO_VERSION", text(o.istioVersion()));
    m.put("LABELS", struct(strings(injectedLabels(w))));
    m.put("MESH_ID", text(o.meshId()));
    m.put("NAME", text(w.pod()));
    m.put("NAMESPACE", text(w.namespace()));
    m.put("NODE_NAME", text("loadgen"));
    m.put("OWNER", text("kubernetes://apis/apps/v1/namespaces/" + w.namespace() + "/deployments/" + w.workloadName()));
    m.put("PILOT_SAN", Value.newBuilder().setListValue(ListValue.newBuilder()
        .addValues(text("istiod.istio-system.svc"))).build());
    if (!w.ports().isEmpty()) {
      m.put("POD_PORTS", text(w.ports().stream()
          .map(p -> "{\"containerPort\":" + p + ",\"protocol\":\"TCP\"}")
          .collect(Collectors.joining(",", "[", "]"))));
    }
    m.put("PROXY_CONFIG", struct(Map.ofEntries(
        Map.entry("binaryPath", text("/usr/local/bin/envoy")),
        Map.entry("concurrency", number(2)),
        Map.entry("configPath", text("./etc/istio/proxy")),
        Map.entry("controlPlaneAuthPolicy", text("MUTUAL_TLS")),
        Map.entry("discoveryAddress", text("istiod.istio-system.svc:15012")),
        Map.entry("drainDuration", text("45s")),
        Map.entry("proxyAdminPort", number(15000)),
        Map.entry("serviceCluster", text("istio-proxy")),
        Map.entry("statNameLength", number(189)),
        Map.entry("statusPort", number(15020)),
        Map.entry("terminationDrainDuration", text("5s")),
        Map.entry("tracing", struct(Map.of("zipkin", struct(Map.of("address", text("zipkin.istio-system:9411")))))))));
    m.put("SERVICE_ACCOUNT", text(w.serviceAccount()));
    m.put("WORKLOAD_NAME", text(w.workloadName()));
    return structOf(m);
  }

  /** The pod's labels plus those the injector adds to every injected pod (unless the pod sets them). */
  static Map<String, String> injectedLabels(Workload w) {
    Map<String, String> labels = new TreeMap<>(w.labels());
    labels.putIfAbsent("security.istio.io/tlsMode", "istio");
    labels.putIfAbsent("service.istio.io/canonical-name", w.canonicalName());
    labels.putIfAbsent("service.istio.io/canonical-revision", w.labels().getOrDefault("version", "latest"));
    return labels;
  }

  static SemanticVersion semanticVersion(String version) {
    Objects.requireNonNull(version, "envoyVersion");
    String[] parts = version.split("\\.");
    if (parts.length != 3) {
      throw new IllegalArgumentException("Envoy version must be major.minor.patch: " + version);
    }
    try {
      return SemanticVersion.newBuilder().setMajorNumber(Integer.parseInt(parts[0]))
          .setMinorNumber(Integer.parseInt(parts[1])).setPatch(Integer.parseInt(parts[2])).build();
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Envoy version must be major.minor.patch: " + version, e);
    }
  }

  private static Map<String, Value> strings(Map<String, String> in) {
    Map<String, Value> out = new TreeMap<>();
    in.forEach((k, v) -> out.put(k, text(v)));
    return out;
  }

  private static Struct structOf(Map<String, Value> fields) {
    return Struct.newBuilder().putAllFields(new TreeMap<>(fields)).build();
  }

  private static Value struct(Map<String, Value> fields) {
    return Value.newBuilder().setStructValue(structOf(fields)).build();
  }

  private static Value text(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  private static Value number(double d) {
    return Value.newBuilder().setNumberValue(d).build();
  }
}
