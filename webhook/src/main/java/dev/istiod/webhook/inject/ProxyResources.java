package dev.istiod.webhook.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/**
 * The injected containers' resources: the pod's {@code sidecar.istio.io/proxyCPU},
 * {@code proxyMemory}, {@code proxyCPULimit} and {@code proxyMemoryLimit} annotations when any
 * is set (only those), else {@code global.proxy.resources}.
 */
final class ProxyResources {
  private static final String CPU = "sidecar.istio.io/proxyCPU";
  private static final String MEMORY = "sidecar.istio.io/proxyMemory";
  private static final String CPU_LIMIT = "sidecar.istio.io/proxyCPULimit";
  private static final String MEMORY_LIMIT = "sidecar.istio.io/proxyMemoryLimit";

  private ProxyResources() {}

  static Optional<ObjectNode> render(TemplateInput in) {
    boolean requests = in.hasAnnotation(CPU) || in.hasAnnotation(MEMORY);
    boolean limits = in.hasAnnotation(CPU_LIMIT) || in.hasAnnotation(MEMORY_LIMIT);
    if (requests || limits) {
      ObjectNode r = Json.object();
      if (requests) {
        quantities(in, r.putObject("requests"), CPU, MEMORY);
      }
      if (limits) {
        quantities(in, r.putObject("limits"), CPU_LIMIT, MEMORY_LIMIT);
      }
      return Optional.of(r);
    }
    JsonNode values = in.values().at("global.proxy.resources");
    return values instanceof ObjectNode o && !o.isEmpty() ? Optional.of(o.deepCopy()) : Optional.empty();
  }

  private static void quantities(TemplateInput in, ObjectNode out, String cpu, String memory) {
    if (in.hasAnnotation(cpu)) {
      out.put("cpu", in.annotationOrEmpty(cpu));
    }
    if (in.hasAnnotation(memory)) {
      out.put("memory", in.annotationOrEmpty(memory));
    }
  }

  static Optional<JsonNode> seccompProfile(TemplateInput in) {
    JsonNode p = in.values().at("global.proxy.seccompProfile");
    return p.isObject() && !p.isEmpty() ? Optional.of(p.deepCopy()) : Optional.empty();
  }
}
