package dev.istiod.webhook.inject;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code sidecar.istio.io/status} annotation: which init containers, containers, volumes
 * and image pull secrets injection added, and the revision that added them. Re-injection
 * removes the listed containers first, so injecting an injected pod changes nothing; empty
 * lists are written as {@code null}, as upstream writes them.
 */
record InjectionStatus(List<String> initContainers, List<String> containers, List<String> volumes,
    List<String> imagePullSecrets, String revision) {
  static final String ANNOTATION = "sidecar.istio.io/status";

  InjectionStatus {
    initContainers = List.copyOf(initContainers);
    containers = List.copyOf(containers);
    volumes = List.copyOf(volumes);
    imagePullSecrets = List.copyOf(imagePullSecrets);
  }

  /** What the rendered template pod adds. */
  static InjectionStatus of(JsonNode templatePod, String revision) {
    JsonNode spec = templatePod.path("spec");
    return new InjectionStatus(names(spec.path("initContainers")), names(spec.path("containers")),
        names(spec.path("volumes")), names(spec.path("imagePullSecrets")), revision.isEmpty() ? "default" : revision);
  }

  /** The pod's status annotation, if it has a readable one. */
  static Optional<InjectionStatus> read(JsonNode pod) {
    JsonNode v = pod.path("metadata").path("annotations").get(ANNOTATION);
    if (v == null || !v.isTextual()) {
      return Optional.empty();
    }
    try {
      JsonNode s = Json.read(v.asText());
      if (!s.isObject()) {
        return Optional.empty();
      }
      return Optional.of(new InjectionStatus(strings(s.path("initContainers")), strings(s.path("containers")),
          strings(s.path("volumes")), strings(s.path("imagePullSecrets")), s.path("revision").asText("")));
    } catch (JsonProcessingException e) {
      return Optional.empty();
    }
  }

  String toJson() {
    ObjectNode o = Json.object();
    list(o, "initContainers", initContainers);
    list(o, "containers", containers);
    list(o, "volumes", volumes);
    list(o, "imagePullSecrets", imagePullSecrets);
    o.put("revision", revision);
    return Json.write(o);
  }

  private static void list(ObjectNode o, String field, List<String> values) {
    if (values.isEmpty()) {
      o.putNull(field);
    } else {
      ArrayNode a = o.putArray(field);
      values.forEach(a::add);
    }
  }

  private static List<String> names(JsonNode list) {
    List<String> out = new ArrayList<>();
    list.forEach(n -> out.add(n.path("name").asText("")));
    return out;
  }

  private static List<String> strings(JsonNode list) {
    List<String> out = new ArrayList<>();
    list.forEach(n -> out.add(n.asText()));
    return out;
  }
}
