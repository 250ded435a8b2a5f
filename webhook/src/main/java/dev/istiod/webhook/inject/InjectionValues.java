package dev.istiod.webhook.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.istiod.model.ProtoYaml;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The {@code values} of the {@code istio-sidecar-injector} ConfigMap: the Helm values the
 * injection template reads ({@code global}, {@code sidecarInjectorWebhook}, {@code revision},
 * {@code pilot.cni}, {@code pilot.env}). Keys a ConfigMap leaves out take the istiod chart's
 * defaults (hub {@code docker.io/istio}, tag {@code 1.28.0}), so injection works without any
 * ConfigMap. Immutable.
 */
public final class InjectionValues {
  private static final ObjectNode DEFAULTS = loadDefaults();

  private final ObjectNode tree;

  private InjectionValues(ObjectNode tree) {
    this.tree = tree;
  }

  /** The chart's defaults. */
  public static InjectionValues defaults() {
    return new InjectionValues(DEFAULTS.deepCopy());
  }

  /**
   * The given values (JSON or YAML, as the ConfigMap's {@code values} key holds them) over the
   * chart's defaults.
   *
   * @throws IllegalArgumentException when the text is not a YAML/JSON mapping
   */
  public static InjectionValues parse(String text) {
    JsonNode user = ProtoYaml.readTree(text);
    if (!user.isObject()) {
      throw new IllegalArgumentException("could not parse configuration values: expected a mapping, got "
          + user.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
    }
    ObjectNode merged = DEFAULTS.deepCopy();
    deepMerge(merged, (ObjectNode) user);
    return new InjectionValues(merged);
  }

  private static void deepMerge(ObjectNode into, ObjectNode from) {
    for (Map.Entry<String, JsonNode> e : from.properties()) {
      JsonNode existing = into.get(e.getKey());
      if (existing instanceof ObjectNode eo && e.getValue() instanceof ObjectNode fo) {
        deepMerge(eo, fo);
      } else {
        into.set(e.getKey(), e.getValue().deepCopy());
      }
    }
  }

  /** The value at a dotted path such as {@code global.proxy.statusPort}; missing when absent. */
  JsonNode at(String dotted) {
    JsonNode n = tree;
    for (String part : dotted.split("\\.")) {
      n = n.path(part);
    }
    return n;
  }

  /** The value printed as the template prints it; "" when absent. */
  String str(String dotted) {
    return Json.text(at(dotted));
  }

  /** Go template truthiness: false, 0, "", null, and empty collections are false. */
  boolean truthy(String dotted) {
    JsonNode n = at(dotted);
    if (n.isMissingNode() || n.isNull()) {
      return false;
    }
    if (n.isBoolean()) {
      return n.asBoolean();
    }
    if (n.isNumber()) {
      return n.asDouble() != 0;
    }
    if (n.isTextual()) {
      return !n.asText().isEmpty();
    }
    return !n.isEmpty();
  }

  /** A copy of the whole tree, e.g. for a debug endpoint. */
  public ObjectNode asTree() {
    return tree.deepCopy();
  }

  private static ObjectNode loadDefaults() {
    try (InputStream in = InjectionValues.class.getResourceAsStream("default-values.json")) {
      if (in == null) {
        throw new IllegalStateException("default-values.json is missing from the webhook jar");
      }
      return (ObjectNode) Json.MAPPER.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
