package dev.istiod.webhook.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;

/**
 * The environment of {@code istio-proxy}: what the stock pilot-agent reads to reach istiod
 * ({@code CA_ADDR}, {@code PILOT_CERT_PROVIDER}), to name itself ({@code POD_NAME},
 * {@code POD_NAMESPACE}, {@code INSTANCE_IP}, {@code SERVICE_ACCOUNT}), and the node metadata it
 * forwards to istiod ({@code ISTIO_META_*}), in upstream's order.
 */
final class ProxyEnv {
  private ProxyEnv() {}

  /** The sidecar's environment. */
  static ArrayNode render(TemplateInput in) {
    ArrayNode env = Json.array();
    if (in.mesh().getInboundTrafficPolicy().getModeValue() == 1) { // LOCALHOST
      value(env, "REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION", "true");
    }
    identity(in, env);
    value(env, "ISTIO_META_APP_CONTAINERS", String.join(",", in.appContainers()));
    limits(in, env);
    String workload = SidecarTemplate.firstNonEmpty(in.labels().get("service.istio.io/workload-name"),
        in.deploy().name());
    metadata(in, env, SidecarTemplate.firstNonEmpty(in.annotationOrEmpty(TemplateInput.INTERCEPTION_MODE),
        in.proxyConfig().getInterceptionMode().name()), workload);
    datadog(in, env);
    ProxyContainer.sortedMetadata(in).forEach((k, val) -> value(env, k, val));
    return env;
  }

  /** A gateway's environment: the same variables, in the gateway template's order. */
  static ArrayNode renderGateway(TemplateInput in) {
    ArrayNode env = Json.array();
    identity(in, env);
    limits(in, env);
    value(env, "ISTIO_META_APP_CONTAINERS", String.join(",", in.appContainers()));
    metadata(in, env, in.proxyConfig().getInterceptionMode().name(), in.deploy().name());
    ProxyContainer.sortedMetadata(in).forEach((k, val) -> value(env, k, val));
    return env;
  }

  /** How the proxy finds istiod and names itself, its proxy config and the pod's ports. */
  private static void identity(TemplateInput in, ArrayNode env) {
    InjectionValues v = in.values();
    value(env, "PILOT_CERT_PROVIDER", v.str("global.pilotCertProvider"));
    String ca = v.str("global.caAddress");
    if (ca.isEmpty()) {
      String rev = v.str("revision");
      ca = "istiod" + (rev.isEmpty() ? "" : "-" + rev) + "." + v.str("global.istioNamespace") + ".svc:15012";
    }
    value(env, "CA_ADDR", ca);
    field(env, "POD_NAME", "metadata.name");
    field(env, "POD_NAMESPACE", "metadata.namespace");
    field(env, "INSTANCE_IP", "status.podIP");
    field(env, "SERVICE_ACCOUNT", "spec.serviceAccountName");
    field(env, "HOST_IP", "status.hostIP");
    resource(env, "ISTIO_CPU_LIMIT", "limits.cpu");
    value(env, "PROXY_CONFIG", ProxyConfigs.compactJson(in.proxyConfig()) + "\n");
    value(env, "ISTIO_META_POD_PORTS", podPorts(in.spec()));
  }

  private static void limits(TemplateInput in, ArrayNode env) {
    resource(env, "GOMEMLIMIT", "limits.memory");
    resource(env, "GOMAXPROCS", "limits.cpu");
    if (!in.compliancePolicy().isEmpty()) {
      value(env, "COMPLIANCE_POLICY", in.compliancePolicy());
    }
  }

  /** The node metadata pilot-agent forwards to istiod. */
  private static void metadata(TemplateInput in, ArrayNode env, String interceptionMode, String workload) {
    InjectionValues v = in.values();
    value(env, "ISTIO_META_CLUSTER_ID", SidecarTemplate.firstNonEmpty(v.str("global.multiCluster.clusterName"),
        "Kubernetes"));
    field(env, "ISTIO_META_NODE_NAME", "spec.nodeName");
    value(env, "ISTIO_META_INTERCEPTION_MODE", interceptionMode);
    if (v.truthy("global.network")) {
      value(env, "ISTIO_META_NETWORK", v.str("global.network"));
    }
    if (!workload.isEmpty()) {
      value(env, "ISTIO_META_WORKLOAD_NAME", workload);
    }
    DeployMeta d = in.deploy();
    if (!d.apiVersion().isEmpty() && !d.name().isEmpty()) {
      value(env, "ISTIO_META_OWNER", "kubernetes://apis/" + d.apiVersion() + "/namespaces/"
          + SidecarTemplate.firstNonEmpty(d.namespace(), "default") + "/" + d.kind().toLowerCase(Locale.ROOT)
          + "s/" + d.name());
    }
    if (in.hasAnnotation("sidecar.istio.io/bootstrapOverride")) {
      value(env, "ISTIO_BOOTSTRAP_OVERRIDE", "/etc/istio/custom-bootstrap/custom_bootstrap.json");
    }
    String trustDomain = in.trustDomain();
    String meshId = SidecarTemplate.firstNonEmpty(v.str("global.meshID"), trustDomain);
    if (!meshId.isEmpty()) {
      value(env, "ISTIO_META_MESH_ID", meshId);
    }
    if (!trustDomain.isEmpty()) {
      value(env, "TRUST_DOMAIN", trustDomain);
    }
  }

  /** The Datadog tracer reads its settings from a JSON annotation of env vars. */
  private static void datadog(TemplateInput in, ArrayNode env) {
    String json = in.annotationOrEmpty("apm.datadoghq.com/env");
    if (!in.values().str("global.proxy.tracer").equals("datadog") || !in.hasAnnotation("apm.datadoghq.com/env")) {
      return;
    }
    try {
      JsonNode vars = Json.read(json);
      new java.util.TreeMap<>(Json.stringMap(vars)).forEach((k, val) -> value(env, k, val));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      // upstream's fromJSON yields nothing usable for bad JSON; no variables are added
    }
  }

  /**
   * {@code ISTIO_META_POD_PORTS}: the declared container ports as a JSON list, one per line,
   * each written with the fields of a Kubernetes ContainerPort in its declared order.
   */
  static String podPorts(JsonNode spec) {
    StringBuilder out = new StringBuilder("[");
    boolean first = true;
    for (JsonNode c : spec.path("containers")) {
      for (JsonNode p : c.path("ports")) {
        out.append("\n    ").append(first ? "" : ",").append(Json.write(containerPort(p)));
        first = false;
      }
    }
    return out.append("\n]").toString();
  }

  private static ObjectNode containerPort(JsonNode p) {
    ObjectNode o = Json.object();
    if (!p.path("name").asText("").isEmpty()) {
      o.put("name", p.path("name").asText());
    }
    if (p.path("hostPort").asInt(0) != 0) {
      o.put("hostPort", p.path("hostPort").asInt());
    }
    o.put("containerPort", p.path("containerPort").asInt(0));
    if (!p.path("protocol").asText("").isEmpty()) {
      o.put("protocol", p.path("protocol").asText());
    }
    if (!p.path("hostIP").asText("").isEmpty()) {
      o.put("hostIP", p.path("hostIP").asText());
    }
    return o;
  }

  private static void value(ArrayNode env, String name, String value) {
    env.addObject().put("name", name).put("value", value);
  }

  private static void field(ArrayNode env, String name, String path) {
    env.addObject().put("name", name).putObject("valueFrom").putObject("fieldRef").put("fieldPath", path);
  }

  private static void resource(ArrayNode env, String name, String resource) {
    env.addObject().put("name", name).putObject("valueFrom").putObject("resourceFieldRef").put("resource", resource);
  }
}
