package dev.istiod.webhook.inject;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.istiod.api.mesh.v1alpha1.ProxyConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * How injected containers meet the user's: removing a previous injection before re-injecting,
 * letting a container the user defined under an injected name (usually {@code istio-proxy})
 * override the injected fields (remembered in {@code proxy.istio.io/overrides} for
 * re-injection), and the final container order.
 */
final class InjectedContainers {
  static final String OVERRIDES = "proxy.istio.io/overrides";
  static final String AUTO_IMAGE = "auto";
  static final String CORE_DUMP = "enable-core-dump";

  private InjectedContainers() {}

  /**
   * The pod without a previous injection's containers, status annotation and (when they point
   * at the status port) Prometheus annotations; the pod itself when it was never injected.
   */
  static ObjectNode strip(ObjectNode pod, int statusPort) {
    Optional<InjectionStatus> previous = InjectionStatus.read(pod);
    if (previous.isEmpty()) {
      return pod;
    }
    ObjectNode copy = pod.deepCopy();
    ObjectNode spec = Json.child(copy, "spec");
    remove(spec.get("containers"), Set.copyOf(previous.get().containers()));
    remove(spec.get("initContainers"), Set.copyOf(previous.get().initContainers()));
    ObjectNode annotations = Json.child(Json.child(copy, "metadata"), "annotations");
    Optional<String> port = PrometheusMerge.find(Json.stringMap(annotations), "prometheus_io_port");
    if (port.isPresent() && port.get().equals(Integer.toString(statusPort))) {
      PrometheusMerge.clear(annotations);
    }
    annotations.remove(InjectionStatus.ANNOTATION);
    return copy;
  }

  private static void remove(JsonNode list, Set<String> names) {
    if (list instanceof ArrayNode a) {
      for (int i = a.size() - 1; i >= 0; i--) {
        if (names.contains(a.get(i).path("name").asText(""))) {
          a.remove(i);
        }
      }
    }
  }

  /** Puts back the user's overriding containers a previous injection recorded. */
  static ObjectNode reinsertOverrides(ObjectNode pod) throws InjectionException {
    ObjectNode overrides = overrides(pod);
    if (overrides.isEmpty()) {
      return pod;
    }
    ObjectNode copy = pod.deepCopy();
    ObjectNode spec = Json.child(copy, "spec");
    for (String list : List.of("containers", "initContainers")) {
      for (JsonNode c : overrides.path(list)) {
        if (Json.named(spec.get(list), c.path("name").asText("")).isEmpty()) {
          Json.childArray(spec, list).add(c.deepCopy());
        }
      }
    }
    return copy;
  }

  private static ObjectNode overrides(JsonNode pod) throws InjectionException {
    JsonNode v = pod.path("metadata").path("annotations").get(OVERRIDES);
    if (v == null) {
      return Json.object();
    }
    try {
      JsonNode parsed = Json.read(v.asText());
      return parsed instanceof ObjectNode o ? o : Json.object();
    } catch (JsonProcessingException e) {
      throw new InjectionException("failed to re apply container: cannot read the " + OVERRIDES
          + " annotation: " + e.getOriginalMessage());
    }
  }

  /**
   * Applies the user's definitions of injected containers over the injected ones, so a user's
   * {@code istio-proxy} (image {@code auto} keeps the injected image) wins field by field. On
   * re-injection the containers a previous injection added are not user definitions; the
   * definitions recorded in {@code proxy.istio.io/overrides} are applied again instead, so
   * re-injection keeps them (upstream drops them there; this keeps re-injection a no-op).
   */
  static void reapplyUserContainers(ObjectNode merged, ObjectNode original, ObjectNode template,
      ProxyConfig proxyConfig) throws InjectionException {
    ObjectNode recorded = overrides(original);
    Optional<InjectionStatus> status = InjectionStatus.read(original);
    Set<String> injected = status.map(s -> Set.copyOf(s.containers())).orElse(Set.of());
    Set<String> injectedInit = status.map(s -> Set.copyOf(s.initContainers())).orElse(Set.of());
    ObjectNode applied = Json.object();
    JsonNode spec = original.path("spec");
    for (JsonNode c : template.path("spec").path("containers")) {
      String name = c.path("name").asText("");
      Optional<ObjectNode> match = recordedOverride(recorded, name);
      if (match.isEmpty() && !injected.contains(name)) {
        match = Json.named(spec.get("containers"), name);
      }
      match.ifPresent(m -> overlay(merged, applied, "containers", m));
    }
    for (JsonNode c : template.path("spec").path("initContainers")) {
      String name = c.path("name").asText("");
      Optional<ObjectNode> match = recordedOverride(recorded, name);
      if (match.isEmpty() && !injectedInit.contains(name)) {
        match = Json.named(spec.get("containers"), name).or(() -> Json.named(spec.get("initContainers"), name));
      }
      match.ifPresent(m -> overlay(merged, applied, "initContainers", m));
    }
    if (status.isEmpty() && !applied.isEmpty()) {
      Json.child(Json.child(merged, "metadata"), "annotations").put(OVERRIDES, Json.write(applied));
    }
    adjustInitUser(merged, original, recorded, proxyConfig);
  }

  /** A recorded override, whichever list it was recorded under (native sidecars may have changed). */
  private static Optional<ObjectNode> recordedOverride(ObjectNode recorded, String name) {
    return Json.named(recorded.get("containers"), name).or(() -> Json.named(recorded.get("initContainers"), name));
  }

  private static void overlay(ObjectNode merged, ObjectNode applied, String list, ObjectNode userContainer) {
    ObjectNode overlay = userContainer.deepCopy();
    if (AUTO_IMAGE.equals(overlay.path("image").asText())) {
      overlay.remove("image");
    }
    Json.childArray(applied, list).add(overlay);
    ObjectNode patch = Json.object();
    Json.child(patch, "spec").putArray(list).add(overlay.deepCopy());
    StrategicMerge.mergePod(merged, patch);
  }

  /**
   * A user's {@code istio-proxy} that runs as another user moves the iptables owner rule and
   * the CNI validation container with it (upstream's adjustInitContainerUser). In TPROXY mode
   * the proxy must stay root.
   */
  private static void adjustInitUser(ObjectNode merged, ObjectNode original, ObjectNode recorded,
      ProxyConfig proxyConfig) {
    Optional<ObjectNode> user = recordedOverride(recorded, TemplateInput.PROXY)
        .or(() -> findContainer(original, TemplateInput.PROXY));
    JsonNode userSc = user.map(u -> u.path("securityContext")).orElse(null);
    if (userSc == null || (!userSc.hasNonNull("runAsUser") && !userSc.hasNonNull("runAsGroup"))) {
      return;
    }
    JsonNode inits = merged.path("spec").path("initContainers");
    Optional<ObjectNode> init = Json.named(inits, IptablesContainer.INIT)
        .or(() -> Json.named(inits, IptablesContainer.VALIDATION));
    if (init.isEmpty()) {
      return;
    }
    boolean tproxy = proxyConfig.getInterceptionMode() == ProxyConfig.InboundInterceptionMode.TPROXY
        || "TPROXY".equals(merged.path("metadata").path("annotations").path(TemplateInput.INTERCEPTION_MODE).asText());
    if (tproxy && userSc.hasNonNull("runAsUser")) {
      findContainer(merged, TemplateInput.PROXY).ifPresent(p -> Json.child(p, "securityContext").put("runAsUser", 0));
    }
    ObjectNode initContainer = init.get();
    if (!tproxy && initContainer.path("name").asText().equals(IptablesContainer.VALIDATION)) {
      ObjectNode sc = Json.child(initContainer, "securityContext");
      if (userSc.hasNonNull("runAsUser")) {
        sc.set("runAsUser", userSc.get("runAsUser").deepCopy());
      }
      if (userSc.hasNonNull("runAsGroup")) {
        sc.set("runAsGroup", userSc.get("runAsGroup").deepCopy());
      }
    }
    long uid = userSc.path("runAsUser").asLong(0);
    if (uid == 0) {
      return;
    }
    JsonNode args = initContainer.path("args");
    if (args instanceof ArrayNode a) {
      for (int i = 0; i + 1 < a.size(); i++) {
        if (a.get(i).asText().equals("-u")) {
          a.set(i + 1, Long.toString(uid));
          return;
        }
      }
    }
  }

  /** A container by name among containers, then init containers. */
  static Optional<ObjectNode> findContainer(JsonNode pod, String name) {
    JsonNode spec = pod.path("spec");
    return Json.named(spec.get("containers"), name).or(() -> Json.named(spec.get("initContainers"), name));
  }

  /**
   * The order upstream leaves: the proxy last among containers (first when the app waits for
   * it), so {@code kubectl exec} defaults to the app; with a native sidecar, the iptables
   * container, then the proxy, then the rest of the init containers; otherwise CNI validation
   * first and {@code istio-init} last, so other init containers run before redirection.
   */
  static void reorder(ObjectNode pod, boolean holdApplication) {
    ObjectNode spec = Json.child(pod, "spec");
    if (spec.get("containers") instanceof ArrayNode containers) {
      move(containers, TemplateInput.PROXY, holdApplication);
    }
    if (!(spec.get("initContainers") instanceof ArrayNode inits)) {
      return;
    }
    if (Json.named(inits, TemplateInput.PROXY).isPresent()) {
      move(inits, CORE_DUMP, true);
      move(inits, TemplateInput.PROXY, true);
      move(inits, IptablesContainer.VALIDATION, true);
      move(inits, IptablesContainer.INIT, true);
    } else {
      move(inits, IptablesContainer.VALIDATION, true);
      move(inits, IptablesContainer.INIT, false);
      move(inits, CORE_DUMP, false);
    }
  }

  private static void move(ArrayNode list, String name, boolean first) {
    List<JsonNode> matched = new ArrayList<>();
    List<JsonNode> rest = new ArrayList<>();
    list.forEach(c -> (name.equals(c.path("name").asText(null)) ? matched : rest).add(c));
    if (matched.isEmpty()) {
      return;
    }
    JsonNode last = matched.get(matched.size() - 1); // upstream keeps the last match
    list.removeAll();
    if (first) {
      list.add(last);
      rest.forEach(list::add);
    } else {
      rest.forEach(list::add);
      list.add(last);
    }
  }
}
