package dev.istiod.webhook.inject;

import com.fasterxml.jackson.databind.JsonNode;
import dev.istiod.model.ProtoYaml;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code config} of the {@code istio-sidecar-injector} ConfigMap: injection policy,
 * selectors, extra annotations and template names.
 *
 * <p>Templates are Go templates upstream. This istiod builds the chart's {@code sidecar} and
 * {@code gateway} templates' pods in code and does not interpret template text; a ConfigMap's
 * own text for them is ignored (logged), other templates are known by name only, so a pod
 * asking for them is refused with a clear message.
 *
 * @param policy {@code enabled} or {@code disabled} (Helm's {@code global.proxy.autoInject})
 * @param defaultTemplates templates for pods that name none ({@code sidecar})
 * @param aliases one name standing for several templates
 * @param templateNames every template the ConfigMap defines, plus the built-in ones
 */
public record InjectionConfig(String policy, List<String> defaultTemplates, Map<String, List<String>> aliases,
    List<LabelSelector> neverInjectSelector, List<LabelSelector> alwaysInjectSelector,
    Map<String, String> injectedAnnotations, Set<String> templateNames) {
  static final String SIDECAR_TEMPLATE = "sidecar";
  static final String GATEWAY_TEMPLATE = "gateway";
  /** The templates this istiod builds in code; the chart defines both. */
  static final Set<String> BUILT_IN_TEMPLATES = Set.of(SIDECAR_TEMPLATE, GATEWAY_TEMPLATE);
  private static final Logger log = LoggerFactory.getLogger(InjectionConfig.class);

  public InjectionConfig {
    Objects.requireNonNull(policy, "policy");
    defaultTemplates = List.copyOf(defaultTemplates);
    aliases = Map.copyOf(aliases);
    neverInjectSelector = List.copyOf(neverInjectSelector);
    alwaysInjectSelector = List.copyOf(alwaysInjectSelector);
    injectedAnnotations = Map.copyOf(injectedAnnotations);
    Set<String> names = new TreeSet<>(templateNames);
    names.addAll(BUILT_IN_TEMPLATES);
    templateNames = Set.copyOf(names);
  }

  /** What the chart renders by default: policy enabled, the sidecar template, no selectors. */
  public static InjectionConfig defaults() {
    return new InjectionConfig("enabled", List.of(SIDECAR_TEMPLATE), Map.of(), List.of(), List.of(), Map.of(),
        BUILT_IN_TEMPLATES);
  }

  /**
   * Reads the ConfigMap's {@code config} YAML.
   *
   * @throws IllegalArgumentException naming what is wrong (bad YAML, a bad selector)
   */
  public static InjectionConfig parse(String yaml) {
    JsonNode root;
    try {
      root = ProtoYaml.readTree(yaml);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("failed to unmarshal injection template: " + e.getMessage(), e);
    }
    if (!root.isObject()) {
      throw new IllegalArgumentException("failed to unmarshal injection template: expected a mapping");
    }
    List<String> defaults = strings(root.path("defaultTemplates"));
    if (defaults.isEmpty()) {
      defaults = List.of(SIDECAR_TEMPLATE);
    }
    Map<String, List<String>> aliases = new LinkedHashMap<>();
    root.path("aliases").properties().forEach(e -> aliases.put(e.getKey(), strings(e.getValue())));
    Set<String> names = new TreeSet<>();
    root.path("templates").fieldNames().forEachRemaining(names::add);
    if (root.path("templates").has(SIDECAR_TEMPLATE)) {
      log.info("the injector ConfigMap carries template text; this istiod builds the standard sidecar and "
          + "gateway pods from the values instead");
    }
    return new InjectionConfig(root.path("policy").asText(""), defaults, aliases,
        selectors(root.path("neverInjectSelector"), "neverInjectSelector"),
        selectors(root.path("alwaysInjectSelector"), "alwaysInjectSelector"),
        Json.stringMap(root.path("injectedAnnotations")), names);
  }

  private static List<String> strings(JsonNode list) {
    List<String> out = new ArrayList<>();
    list.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static List<LabelSelector> selectors(JsonNode list, String field) {
    List<LabelSelector> out = new ArrayList<>();
    for (JsonNode n : list) {
      try {
        out.add(LabelSelector.parse(n));
      } catch (IllegalArgumentException e) {
        // Upstream logs and skips a selector it cannot convert.
        log.warn("invalid selector for {}: {} ({})", field, n, e.getMessage());
      }
    }
    return out;
  }
}
