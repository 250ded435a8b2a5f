package dev.istiod.webhook.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * The {@code gateway} injection template, built in code: what a pod asking for
 * {@code inject.istio.io/templates: gateway} gets (the istio/gateway Helm chart's pods, whose
 * {@code istio-proxy} container with image {@code auto} is filled in). The proxy runs
 * {@code pilot-agent proxy router}, without traffic capture, allowed to bind low ports. Same
 * pod as upstream 1.28's files/gateway-injection-template.yaml.
 */
final class GatewayTemplate {
  private GatewayTemplate() {}

  static ObjectNode render(TemplateInput in) {
    ObjectNode pod = Json.object();
    ObjectNode meta = pod.putObject("metadata");
    Map<String, String> labels = in.labels();
    meta.putObject("labels")
        .put(SidecarTemplate.CANONICAL_NAME, SidecarTemplate.firstNonEmpty(labels.get(SidecarTemplate.CANONICAL_NAME),
            labels.get("app.kubernetes.io/name"), labels.get("app"), in.deploy().name()))
        .put(SidecarTemplate.CANONICAL_REVISION, SidecarTemplate.firstNonEmpty(
            labels.get(SidecarTemplate.CANONICAL_REVISION), labels.get("app.kubernetes.io/version"),
            labels.get("version"), "latest"));
    ObjectNode annotations = meta.putObject("annotations");
    annotations.put("istio.io/rev", SidecarTemplate.firstNonEmpty(in.revision(), "default"));
    List<String> apps = in.appContainers();
    if (!apps.isEmpty()) {
      for (String a : List.of("kubectl.kubernetes.io/default-logs-container", "kubectl.kubernetes.io/default-container")) {
        if (!in.hasAnnotation(a)) {
          annotations.put(a, apps.get(0));
        }
      }
    }
    ObjectNode spec = pod.putObject("spec");
    JsonNode podSecurity = in.values().at("gateways.securityContext");
    if (in.values().truthy("gateways.securityContext")) {
      spec.set("securityContext", podSecurity.deepCopy());
    } else {
      spec.putObject("securityContext").putArray("sysctls").addObject()
          .put("name", "net.ipv4.ip_unprivileged_port_start").put("value", "0");
    }
    spec.putArray("containers").add(proxy(in));
    spec.set("volumes", SidecarVolumes.volumes(in, SidecarVolumes.Flavor.GATEWAY));
    JsonNode secrets = in.values().at("global.imagePullSecrets");
    if (secrets.isArray() && !secrets.isEmpty()) {
      ArrayNode list = spec.putArray("imagePullSecrets");
      secrets.forEach(s -> list.addObject().put("name", s.isObject() ? s.path("name").asText() : Json.text(s)));
    }
    return pod;
  }

  private static ObjectNode proxy(TemplateInput in) {
    ObjectNode c = Json.object();
    c.put("name", TemplateInput.PROXY);
    String custom = in.annotationOrValue("sidecar.istio.io/proxyImage", "global.proxy.image");
    c.put("image", custom.contains("/") ? custom : in.proxyImage());
    c.putArray("ports").addObject().put("containerPort", 15090).put("protocol", "TCP").put("name", "http-envoy-prom");
    ArrayNode args = c.putArray("args");
    args.add("proxy").add("router").add("--domain");
    args.add("$(POD_NAMESPACE).svc." + in.values().str("global.proxy.clusterDomain"));
    args.add("--proxyLogLevel=" + in.annotationOrValue("sidecar.istio.io/logLevel", "global.proxy.logLevel"));
    args.add("--proxyComponentLogLevel="
        + in.annotationOrValue("sidecar.istio.io/componentLogLevel", "global.proxy.componentLogLevel"));
    args.add("--log_output_level=" + in.annotationOrValue("sidecar.istio.io/agentLogLevel", "global.logging.level"));
    if (in.values().truthy("global.sts.servicePort")) {
      args.add("--stsPort=" + in.values().str("global.sts.servicePort"));
    }
    if (in.values().truthy("global.logAsJson")) {
      args.add("--log_as_json");
    }
    if (in.values().truthy("global.proxy.lifecycle")) {
      c.set("lifecycle", in.values().at("global.proxy.lifecycle").deepCopy());
    }
    c.putObject("securityContext").put("runAsUser", in.proxyUid()).put("runAsGroup", in.proxyGid());
    c.set("env", ProxyEnv.renderGateway(in));
    SidecarTemplate.putIfNotEmpty(c, "imagePullPolicy", in.values().str("global.imagePullPolicy"));
    ObjectNode ready = c.putObject("readinessProbe");
    ready.putObject("httpGet").put("path", "/healthz/ready").put("port", 15021);
    long delay = number(in.values().str("global.proxy.readinessInitialDelaySeconds"));
    if (delay != 0) {
      ready.put("initialDelaySeconds", delay);
    }
    ready.put("periodSeconds", number(in.values().str("global.proxy.readinessPeriodSeconds")));
    ready.put("timeoutSeconds", 3);
    ready.put("failureThreshold", number(in.values().str("global.proxy.readinessFailureThreshold")));
    c.set("volumeMounts", SidecarVolumes.mounts(in, SidecarVolumes.Flavor.GATEWAY));
    return c;
  }

  private static long number(String s) {
    try {
      return Long.parseLong(s.strip());
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
