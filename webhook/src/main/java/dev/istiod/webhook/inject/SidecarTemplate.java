package dev.istiod.webhook.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * The standard {@code sidecar} injection template, built in code: the partial pod that is
 * merged over the user's pod. It yields the same pod as upstream's Helm template
 * (manifests/charts/istio-control/istio-discovery/files/injection-template.yaml) for the values
 * and annotations that template reads; this class assembles metadata and the pod-level lists,
 * {@link IptablesContainer}, {@link ProxyContainer} and {@link SidecarVolumes} the parts.
 */
final class SidecarTemplate {
  static final String TLS_MODE = "security.istio.io/tlsMode";
  static final String CANONICAL_NAME = "service.istio.io/canonical-name";
  static final String CANONICAL_REVISION = "service.istio.io/canonical-revision";

  private SidecarTemplate() {}

  static ObjectNode render(TemplateInput in) {
    ObjectNode pod = Json.object();
    ObjectNode meta = pod.putObject("metadata");
    meta.set("labels", labels(in));
    meta.set("annotations", annotations(in));
    ObjectNode spec = pod.putObject("spec");
    boolean nativeSidecar = in.nativeSidecar();
    boolean intercept = !in.interceptionMode().equals("NONE");
    ArrayNode init = Json.array();
    if (intercept) {
      init.add(IptablesContainer.render(in));
    }
    ObjectNode proxy = ProxyContainer.render(in);
    if (nativeSidecar) {
      init.add(proxy);
    } else {
      spec.putArray("containers").add(proxy);
    }
    if (!init.isEmpty()) {
      spec.set("initContainers", init);
    }
    spec.set("volumes", SidecarVolumes.volumes(in));
    JsonNode secrets = in.values().at("global.imagePullSecrets");
    if (secrets.isArray() && !secrets.isEmpty()) {
      ArrayNode list = spec.putArray("imagePullSecrets");
      secrets.forEach(s -> list.addObject().put("name", s.isObject() ? s.path("name").asText() : Json.text(s)));
    }
    return pod;
  }

  private static ObjectNode labels(TemplateInput in) {
    Map<String, String> labels = in.labels();
    ObjectNode out = Json.object();
    out.put(TLS_MODE, firstNonEmpty(labels.get(TLS_MODE), "istio"));
    if (in.proxyMetadata("ISTIO_META_ENABLE_HBONE").equals("true")) {
      out.put("networking.istio.io/tunnel", firstNonEmpty(labels.get("networking.istio.io/tunnel"), "http"));
    }
    String name = firstNonEmpty(labels.get(CANONICAL_NAME), labels.get("app.kubernetes.io/name"), labels.get("app"),
        in.deploy().name());
    if (name.length() > 63) {
      name = name.substring(0, 63);
    }
    if (name.endsWith("-")) {
      name = name.substring(0, name.length() - 1);
    }
    out.put(CANONICAL_NAME, name);
    out.put(CANONICAL_REVISION, firstNonEmpty(labels.get(CANONICAL_REVISION), labels.get("app.kubernetes.io/version"),
        labels.get("version"), "latest"));
    return out;
  }

  private static ObjectNode annotations(TemplateInput in) {
    ObjectNode out = Json.object();
    out.put("istio.io/rev", firstNonEmpty(in.revision(), "default"));
    List<String> apps = in.appContainers();
    if (!apps.isEmpty()) {
      if (!in.hasAnnotation("kubectl.kubernetes.io/default-logs-container")) {
        out.put("kubectl.kubernetes.io/default-logs-container", apps.get(0));
      }
      if (!in.hasAnnotation("kubectl.kubernetes.io/default-container")) {
        out.put("kubectl.kubernetes.io/default-container", apps.get(0));
      }
    }
    if (in.cni()) {
      cniAnnotations(in, out);
    }
    return out;
  }

  /** With the CNI plugin, the pod carries the redirection settings the plugin reads. */
  private static void cniAnnotations(TemplateInput in, ObjectNode out) {
    String provider = in.values().str("pilot.cni.provider");
    if (provider.equals("multus")) {
      out.put("k8s.v1.cni.cncf.io/networks",
          MultusNetworks.append(in.annotationOrEmpty("k8s.v1.cni.cncf.io/networks"), "default/istio-cni"));
    }
    out.put(TemplateInput.INTERCEPTION_MODE, in.interceptionMode());
    putIfNotEmpty(out, "traffic.sidecar.istio.io/includeOutboundIPRanges",
        in.annotationOrValue("traffic.sidecar.istio.io/includeOutboundIPRanges", "global.proxy.includeIPRanges"));
    putIfNotEmpty(out, "traffic.sidecar.istio.io/excludeOutboundIPRanges",
        in.annotationOrValue("traffic.sidecar.istio.io/excludeOutboundIPRanges", "global.proxy.excludeIPRanges"));
    out.put("traffic.sidecar.istio.io/includeInboundPorts",
        in.annotationOrValue("traffic.sidecar.istio.io/includeInboundPorts", "global.proxy.includeInboundPorts"));
    out.put("traffic.sidecar.istio.io/excludeInboundPorts", excludedInboundPorts(in));
    for (String ports : List.of("includeOutboundPorts", "excludeOutboundPorts")) {
      String annotation = "traffic.sidecar.istio.io/" + ports;
      if (in.hasAnnotation(annotation) || !in.values().str("global.proxy." + ports).isEmpty()) {
        out.put(annotation, in.annotationOrValue(annotation, "global.proxy." + ports));
      }
    }
    for (String copied : List.of("traffic.sidecar.istio.io/kubevirtInterfaces", "istio.io/reroute-virtual-interfaces",
        "traffic.sidecar.istio.io/excludeInterfaces")) {
      putIfNotEmpty(out, copied, in.annotationOrEmpty(copied));
    }
  }

  /** The pod's excluded inbound ports with the status port added (upstream's excludeInboundPort). */
  static String excludedInboundPorts(TemplateInput in) {
    String excluded = in.annotationOrValue("traffic.sidecar.istio.io/excludeInboundPorts",
        "global.proxy.excludeInboundPorts");
    String port = in.statusPort().strip();
    if (port.isEmpty() || port.equals("0")) {
      return excluded;
    }
    StringBuilder out = new StringBuilder();
    for (String p : excluded.split(",", -1)) {
      if (p.equals(port)) {
        return excluded;
      }
      String trimmed = p.strip();
      if (!trimmed.isEmpty()) {
        out.append(trimmed).append(',');
      }
    }
    return out.append(port).toString();
  }

  static void putIfNotEmpty(ObjectNode node, String key, String value) {
    if (!value.isEmpty()) {
      node.put(key, value);
    }
  }

  static String firstNonEmpty(String... candidates) {
    for (String c : candidates) {
      if (c != null && !c.isEmpty()) {
        return c;
      }
    }
    return "";
  }
}
