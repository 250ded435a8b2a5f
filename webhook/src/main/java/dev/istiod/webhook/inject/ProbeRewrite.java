package dev.istiod.webhook.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Rewrites the application's HTTP, TCP and gRPC probes (and HTTP/TCP lifecycle hooks) to ask
 * pilot-agent on the status port ({@code /app-health/<container>/livez|readyz|startupz},
 * {@code /app-lifecycle/<container>/prestopz|poststartz}), which forwards them to the app: with
 * mutual TLS enforced the kubelet's plain probes would otherwise be refused. The original
 * probes travel to pilot-agent as JSON in {@code ISTIO_KUBE_APP_PROBERS}, named ports resolved.
 */
final class ProbeRewrite {
  static final String ANNOTATION = "sidecar.istio.io/rewriteAppHTTPProbers";
  static final String PROBERS_ENV = "ISTIO_KUBE_APP_PROBERS";
  private static final String[] PROBES = {"readinessProbe", "livenessProbe", "startupProbe"};
  private static final String[] PROBE_PATHS = {"readyz", "livez", "startupz"};

  private ProbeRewrite() {}

  /** The pod's annotation (when it is a boolean) decides, else the values' setting. */
  static boolean enabled(Map<String, String> annotations, boolean valuesSetting) {
    String v = annotations.get(ANNOTATION);
    if (v != null) {
      Optional<Boolean> b = parseBool(v);
      if (b.isPresent()) {
        return b.get();
      }
    }
    return valuesSetting;
  }

  static Optional<Boolean> parseBool(String v) {
    return switch (v) {
      case "1", "t", "T", "TRUE", "true", "True" -> Optional.of(true);
      case "0", "f", "F", "FALSE", "false", "False" -> Optional.of(false);
      default -> Optional.empty();
    };
  }

  /**
   * The {@code ISTIO_KUBE_APP_PROBERS} JSON for the pod's current probes, keyed by the
   * rewritten path and sorted; empty when no probe needs pilot-agent (probes already pointing
   * at the status port are left out, so re-injection adds nothing).
   */
  static Optional<String> appProbers(ObjectNode pod, int statusPort) {
    Map<String, ObjectNode> out = new TreeMap<>();
    for (JsonNode c : allContainers(pod)) {
      String name = c.path("name").asText("");
      if (name.equals(TemplateInput.PROXY)) {
        continue;
      }
      Map<String, Integer> ports = new HashMap<>();
      for (JsonNode p : c.path("ports")) {
        if (!p.path("name").asText("").isEmpty()) {
          ports.put(p.path("name").asText(), p.path("containerPort").asInt());
        }
      }
      for (int i = 0; i < PROBES.length; i++) {
        String key = "/app-health/" + name + "/" + PROBE_PATHS[i];
        prober(c.get(PROBES[i]), true, ports, statusPort).ifPresent(p -> out.put(key, p));
      }
      JsonNode lifecycle = c.path("lifecycle");
      prober(lifecycle.get("preStop"), false, ports, statusPort)
          .ifPresent(p -> out.put("/app-lifecycle/" + name + "/prestopz", p));
      prober(lifecycle.get("postStart"), false, ports, statusPort)
          .ifPresent(p -> out.put("/app-lifecycle/" + name + "/poststartz", p));
    }
    if (out.isEmpty()) {
      return Optional.empty();
    }
    ObjectNode json = Json.object();
    out.forEach(json::set);
    return Optional.of(Json.write(json));
  }

  /** Upstream's Prober: the action, with Kubernetes' field order, and the probe's timeout. */
  private static Optional<ObjectNode> prober(JsonNode probe, boolean isProbe, Map<String, Integer> ports,
      int statusPort) {
    if (probe == null || !probe.isObject()) {
      return Optional.empty();
    }
    ObjectNode out = Json.object();
    if (probe.get("httpGet") instanceof ObjectNode h) {
      ObjectNode a = out.putObject("httpGet");
      putText(a, "path", h.path("path"));
      a.set("port", h.path("port").deepCopy());
      putText(a, "host", h.path("host"));
      putText(a, "scheme", h.path("scheme"));
      if (h.path("httpHeaders").isArray() && !h.path("httpHeaders").isEmpty()) {
        ArrayNode headers = a.putArray("httpHeaders");
        h.path("httpHeaders").forEach(x -> headers.addObject().put("name", x.path("name").asText(""))
            .put("value", x.path("value").asText("")));
      }
    } else if (probe.get("tcpSocket") instanceof ObjectNode t) {
      ObjectNode a = out.putObject("tcpSocket");
      a.set("port", t.path("port").deepCopy());
      putText(a, "host", t.path("host"));
    } else if (isProbe && probe.get("grpc") instanceof ObjectNode g) {
      ObjectNode a = out.putObject("grpc");
      a.put("port", g.path("port").asInt());
      if (g.has("service") && !g.get("service").isNull()) {
        a.put("service", g.get("service").asText());
      }
    } else {
      return Optional.empty();
    }
    if (isProbe && probe.path("timeoutSeconds").asInt(0) != 0) {
      out.put("timeoutSeconds", probe.path("timeoutSeconds").asInt());
    }
    if (out.has("grpc")) {
      return Optional.of(out);
    }
    ObjectNode action = (ObjectNode) (out.has("httpGet") ? out.get("httpGet") : out.get("tcpSocket"));
    JsonNode port = action.path("port");
    if (port.isTextual()) {
      Integer resolved = ports.get(port.asText());
      if (resolved == null) {
        return Optional.empty();
      }
      action.put("port", resolved);
    } else if (port.asInt() == statusPort) {
      return Optional.empty(); // already rewritten
    }
    return Optional.of(out);
  }

  private static void putText(ObjectNode into, String field, JsonNode value) {
    if (value.isTextual() && !value.asText().isEmpty()) {
      into.put(field, value.asText());
    }
  }

  /** Points every app probe and HTTP/TCP lifecycle hook at pilot-agent on {@code statusPort}. */
  static void rewrite(ObjectNode pod, int statusPort) {
    for (JsonNode c : allContainers(pod)) {
      String name = c.path("name").asText("");
      if (name.equals(TemplateInput.PROXY) || !(c instanceof ObjectNode container)) {
        continue;
      }
      for (int i = 0; i < PROBES.length; i++) {
        if (container.get(PROBES[i]) instanceof ObjectNode probe) {
          convert(probe, "/app-health/" + name + "/" + PROBE_PATHS[i], statusPort, true);
        }
      }
      if (container.get("lifecycle") instanceof ObjectNode lifecycle) {
        if (lifecycle.get("preStop") instanceof ObjectNode h) {
          convert(h, "/app-lifecycle/" + name + "/prestopz", statusPort, false);
        }
        if (lifecycle.get("postStart") instanceof ObjectNode h) {
          convert(h, "/app-lifecycle/" + name + "/poststartz", statusPort, false);
        }
      }
    }
  }

  private static void convert(ObjectNode handler, String path, int statusPort, boolean isProbe) {
    if (handler.get("httpGet") instanceof ObjectNode h) {
      h.put("path", path);
      h.set("port", IntNode.valueOf(statusPort));
      if ("HTTPS".equals(h.path("scheme").asText())) {
        h.put("scheme", "HTTP");
      }
    } else if (handler.has("tcpSocket") || (isProbe && handler.has("grpc"))) {
      handler.remove("tcpSocket");
      handler.remove("grpc");
      handler.putObject("httpGet").put("path", path).put("port", statusPort);
    }
  }

  /** Init containers first, then containers, as upstream walks them. */
  private static List<JsonNode> allContainers(ObjectNode pod) {
    List<JsonNode> all = new ArrayList<>();
    pod.path("spec").path("initContainers").forEach(all::add);
    pod.path("spec").path("containers").forEach(all::add);
    return all;
  }
}
