package dev.istiod.webhook.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * Kubernetes' strategic merge of a partial pod over a pod, for the fields injection touches:
 * objects merge field by field, a null removes a field, lists with a merge key (containers and
 * volumes by name, env by name, ports by containerPort, mounts by mountPath) merge element by
 * element with new elements appended, and every other list is replaced. This is how the
 * template lands on the user's pod and how a user's own {@code istio-proxy} overrides the
 * injected one (upstream uses apimachinery's strategicpatch with the Pod schema).
 */
final class StrategicMerge {
  /** Merge keys of the pod's lists, by field name; containers' lists share them. */
  private static final Map<String, String> POD_KEYS = Map.of(
      "containers", "name",
      "initContainers", "name",
      "ephemeralContainers", "name",
      "volumes", "name",
      "imagePullSecrets", "name",
      "hostAliases", "ip",
      "env", "name",
      "ports", "containerPort",
      "volumeMounts", "mountPath",
      "volumeDevices", "devicePath");

  private StrategicMerge() {}

  /** Merges {@code patch} into {@code target} in place. */
  static void mergePod(ObjectNode target, ObjectNode patch) {
    merge(target, patch, true);
  }

  /**
   * @param keyed whether lists here follow the pod's merge keys; inside free-form content
   *     (labels, annotations, a ConfigMap volume's items) they do not
   */
  private static void merge(ObjectNode target, ObjectNode patch, boolean keyed) {
    for (Map.Entry<String, JsonNode> e : patch.properties()) {
      String field = e.getKey();
      JsonNode value = e.getValue();
      JsonNode current = target.get(field);
      if (value.isNull()) {
        target.remove(field);
      } else if (value instanceof ObjectNode pv && current instanceof ObjectNode cv) {
        merge(cv, pv, keyed && !field.equals("labels") && !field.equals("annotations"));
      } else if (value instanceof ArrayNode pa && current instanceof ArrayNode ca && keyed
          && POD_KEYS.containsKey(field)) {
        mergeList(ca, pa, POD_KEYS.get(field));
      } else {
        target.set(field, value.deepCopy());
      }
    }
  }

  private static void mergeList(ArrayNode target, ArrayNode patch, String key) {
    for (JsonNode p : patch) {
      if (!(p instanceof ObjectNode po) || !po.has(key)) {
        target.add(p.deepCopy());
        continue;
      }
      ObjectNode match = null;
      for (JsonNode t : target) {
        if (t instanceof ObjectNode to && po.get(key).equals(to.get(key))) {
          match = to;
          break;
        }
      }
      if (match == null) {
        target.add(po.deepCopy());
      } else {
        merge(match, po, true);
      }
    }
  }
}
