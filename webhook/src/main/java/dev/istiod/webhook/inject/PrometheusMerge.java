package dev.istiod.webhook.inject;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Metrics merging: Prometheus is pointed at pilot-agent ({@code prometheus.io/port} = status
 * port, {@code /stats/prometheus}), which serves Envoy's and the application's metrics
 * together; the application's own {@code prometheus.io/*} settings move into
 * {@code ISTIO_PROMETHEUS_ANNOTATIONS}. Prometheus reads {@code prometheus.io/scrape},
 * {@code prometheus.io.scrape} and {@code prometheus-io/scrape} alike, so all spellings count.
 */
final class PrometheusMerge {
  static final String MERGE_ANNOTATION = "prometheus.istio.io/merge-metrics";
  static final String ENV = "ISTIO_PROMETHEUS_ANNOTATIONS";
  private static final String SCRAPE = "prometheus_io_scrape";
  private static final String PORT = "prometheus_io_port";
  private static final String PATH = "prometheus_io_path";

  private PrometheusMerge() {}

  /**
   * Applies the merge to the pod's annotations and, when the app had its own settings, to the
   * proxy's environment.
   */
  static void apply(ObjectNode pod, MeshConfig mesh) {
    ObjectNode annotations = Json.child(Json.child(pod, "metadata"), "annotations");
    Map<String, String> current = Json.stringMap(annotations);
    if (!scrapeWanted(current) || !enabled(mesh, current)) {
      return;
    }
    String target = Integer.toString(mesh.getDefaultConfig().getStatusPort());
    Optional<String> port = find(current, PORT);
    if (port.isPresent() && port.get().equals(target)) {
      return; // already merged (re-injection), or the user points at the agent themselves
    }
    String scrape = find(current, SCRAPE).orElse("");
    String path = find(current, PATH).orElse("");
    String appPort = port.orElse("");
    if (!(scrape + path + appPort).isEmpty()) {
      Json.named(pod.path("spec").path("containers"), TemplateInput.PROXY)
          .or(() -> Json.named(pod.path("spec").path("initContainers"), TemplateInput.PROXY))
          .ifPresent(proxy -> Json.childArray(proxy, "env").addObject().put("name", ENV)
              .put("value", Json.write(Json.object().put("scrape", scrape).put("path", path).put("port", appPort))));
    }
    clear(annotations);
    annotations.put("prometheus.io/port", target);
    annotations.put("prometheus.io/path", "/stats/prometheus");
    annotations.put("prometheus.io/scrape", "true");
  }

  /** Removes every spelling of the three Prometheus annotations. */
  static void clear(ObjectNode annotations) {
    List<String> remove = new ArrayList<>();
    annotations.fieldNames().forEachRemaining(k -> {
      String s = sanitize(k);
      if (s.equals(SCRAPE) || s.equals(PORT) || s.equals(PATH)) {
        remove.add(k);
      }
    });
    annotations.remove(remove);
  }

  static Optional<String> find(Map<String, String> annotations, String sanitized) {
    return annotations.entrySet().stream().filter(e -> sanitize(e.getKey()).equals(sanitized))
        .map(Map.Entry::getValue).findFirst();
  }

  private static boolean scrapeWanted(Map<String, String> annotations) {
    for (Map.Entry<String, String> e : annotations.entrySet()) {
      if (sanitize(e.getKey()).equals(SCRAPE)) {
        Optional<Boolean> b = ProbeRewrite.parseBool(e.getValue());
        if (b.isPresent()) {
          return b.get();
        }
      }
    }
    return true;
  }

  private static boolean enabled(MeshConfig mesh, Map<String, String> annotations) {
    String v = annotations.get(MERGE_ANNOTATION);
    if (v != null) {
      Optional<Boolean> b = ProbeRewrite.parseBool(v);
      if (b.isPresent()) {
        return b.get();
      }
    }
    return !mesh.hasEnablePrometheusMerge() || mesh.getEnablePrometheusMerge().getValue();
  }

  /** Prometheus' label-name sanitising: every character outside [a-zA-Z0-9_] becomes '_'. */
  static String sanitize(String name) {
    StringBuilder b = new StringBuilder(name.length());
    for (char c : name.toCharArray()) {
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      b.append(ok ? c : '_');
    }
    return b.toString();
  }
}
