package dev.istiod.webhook.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.api.mesh.v1alpha1.ProxyConfig;
import io.fabric8.zjsonpatch.DiffFlags;
import io.fabric8.zjsonpatch.JsonDiff;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Injects the sidecar into one pod, as upstream's injectPod: the template is rendered from the
 * pod (a previous injection removed) and strategically merged over the pod; a user's own
 * definitions of injected containers are applied over that; then cluster/network settings,
 * metrics merging, probe rewriting, the status annotation and container order. The result is
 * the injected pod and the JSON Patch from the original to it. Stateless and thread-safe.
 *
 * <p>Injecting an injected pod yields an empty patch: the previous injection is recognised by
 * its status annotation, its containers are replaced by freshly rendered ones, and probes
 * already pointing at pilot-agent are left alone.
 */
public final class Injector {
  static final String NETWORK_LABEL = "topology.istio.io/network";
  static final String CLUSTER_ENV = "ISTIO_META_CLUSTER_ID";
  static final String NETWORK_ENV = "ISTIO_META_NETWORK";
  private static final String TEMPLATES_ANNOTATION = "inject.istio.io/templates";
  private static final EnumSet<DiffFlags> PATCH_FLAGS = EnumSet.of(DiffFlags.OMIT_MOVE_OPERATION,
      DiffFlags.OMIT_COPY_OPERATION, DiffFlags.OMIT_VALUE_ON_REMOVE);

  private Injector() {}

  /**
   * What one injection runs with.
   *
   * @param revision istiod's revision ("" or "default" for the default revision)
   * @param nativeSidecars whether this pod's node(s) support native sidecars (the pod's
   *     {@code sidecar.istio.io/nativeSidecar} annotation may still decide otherwise)
   * @param proxyEnvs settings from the webhook path ({@code /inject/cluster/c1/net/n1})
   * @param compliancePolicy istiod's {@code COMPLIANCE_POLICY}, passed to the proxy; "" for none
   */
  public record Params(InjectionSettings settings, MeshConfig mesh, String revision, boolean nativeSidecars,
      Map<String, String> proxyEnvs, String compliancePolicy) {
    public Params {
      Objects.requireNonNull(settings, "settings");
      Objects.requireNonNull(mesh, "mesh");
      Objects.requireNonNull(revision, "revision");
      proxyEnvs = Map.copyOf(proxyEnvs);
      Objects.requireNonNull(compliancePolicy, "compliancePolicy");
    }
  }

  /** The injected pod and the JSON Patch (an array, empty when nothing changed) that makes it. */
  public record Result(ObjectNode pod, ArrayNode patch) {}

  /**
   * @param pod the pod as admitted, with its namespace set; not modified
   * @throws InjectionException with upstream's message when the pod's annotations are invalid
   *     or it asks for a template this istiod cannot run
   */
  public static Result inject(ObjectNode pod, Params params) throws InjectionException {
    InjectionValues values = params.settings().values();
    Map<String, String> annotations = Json.stringMap(pod.path("metadata").path("annotations"));
    List<String> invalid = AnnotationChecks.check(annotations);
    if (!invalid.isEmpty()) {
      throw new InjectionException("failed to run injection template: " + multiError(invalid));
    }
    List<String> templates = templates(annotations, params.settings().config());
    ProxyConfig proxyConfig = ProxyConfigs.effective(params.mesh(), annotations);
    Map<String, String> envs = clusterAndNetwork(pod, values, params.proxyEnvs());
    int statusPort = params.mesh().getDefaultConfig().getStatusPort();

    ObjectNode stripped = InjectedContainers.reinsertOverrides(InjectedContainers.strip(pod, statusPort));
    Map<String, String> strippedAnnotations = Json.stringMap(stripped.path("metadata").path("annotations"));
    TemplateInput input = new TemplateInput(Json.child(stripped.deepCopy(), "metadata"),
        Json.child(stripped.deepCopy(), "spec"), DeployMeta.fromPod(pod), proxyConfig, params.mesh(), values,
        params.revision(), params.nativeSidecars(),
        ProxyImages.proxyImage(values, proxyConfig, strippedAnnotations), 1337, 1337, params.compliancePolicy());

    ObjectNode merged = pod.deepCopy();
    ObjectNode template = Json.object();
    for (String name : templates) {
      ObjectNode rendered = name.equals(InjectionConfig.GATEWAY_TEMPLATE) ? GatewayTemplate.render(input)
          : SidecarTemplate.render(input);
      StrategicMerge.mergePod(template, rendered);
      moveUserProxyForNative(merged, template, params.nativeSidecars());
      StrategicMerge.mergePod(merged, rendered);
    }
    InjectedContainers.reapplyUserContainers(merged, pod, template, proxyConfig);
    postProcess(merged, template, envs, params, pod);
    ArrayNode patch = (ArrayNode) JsonDiff.asJson(pod, merged, PATCH_FLAGS);
    return new Result(merged, patch);
  }

  /** The templates the pod asks for, or the configured defaults, aliases expanded. */
  private static List<String> templates(Map<String, String> annotations, InjectionConfig config)
      throws InjectionException {
    List<String> names = new ArrayList<>();
    String requested = annotations.get(TEMPLATES_ANNOTATION);
    if (requested != null) {
      for (String n : requested.split(",", -1)) {
        names.add(n.strip());
      }
    } else {
      names.addAll(config.defaultTemplates());
    }
    List<String> resolved = new ArrayList<>();
    for (String n : names) {
      resolved.addAll(config.aliases().getOrDefault(n, List.of(n)));
    }
    for (String n : resolved) {
      if (!config.templateNames().contains(n)) {
        throw new InjectionException("failed to run injection template: requested template \"" + n
            + "\" not found; have " + String.join(", ", new java.util.TreeSet<>(config.templateNames())));
      }
      if (!InjectionConfig.BUILT_IN_TEMPLATES.contains(n)) {
        throw new InjectionException("failed to run injection template: requested template \"" + n
            + "\" is not supported: this istiod runs only the standard \"sidecar\" and \"gateway\" templates");
      }
    }
    return resolved;
  }

  /**
   * Cluster and network for the proxy: the values, then the webhook path, then the pod's
   * {@code topology.istio.io/network} label; set ones replace the template's env entries.
   */
  private static Map<String, String> clusterAndNetwork(ObjectNode pod, InjectionValues values,
      Map<String, String> pathEnvs) {
    Map<String, String> envs = new LinkedHashMap<>(pathEnvs);
    String cluster = values.str("global.multiCluster.clusterName");
    String network = values.str("global.network");
    if (!pathEnvs.getOrDefault(CLUSTER_ENV, "").isEmpty()) {
      cluster = pathEnvs.get(CLUSTER_ENV);
    }
    if (!pathEnvs.getOrDefault(NETWORK_ENV, "").isEmpty()) {
      network = pathEnvs.get(NETWORK_ENV);
    }
    JsonNode label = pod.path("metadata").path("labels").get(NETWORK_LABEL);
    if (label != null) {
      network = label.asText();
    }
    if (!cluster.isEmpty()) {
      envs.put(CLUSTER_ENV, cluster);
    }
    if (!network.isEmpty()) {
      envs.put(NETWORK_ENV, network);
    }
    return envs;
  }

  /**
   * With native sidecars the template's proxy is an init container; a user's {@code istio-proxy}
   * customisation in {@code containers} moves there so the two merge (upstream does the same).
   */
  private static void moveUserProxyForNative(ObjectNode merged, ObjectNode template, boolean nativeDefault) {
    String annotation = merged.path("metadata").path("annotations").path("sidecar.istio.io/nativeSidecar").asText("");
    boolean nativeSidecar = annotation.equals("true") || (!annotation.equals("false") && nativeDefault);
    ObjectNode spec = Json.child(merged, "spec");
    if (!nativeSidecar || Json.named(template.path("spec").path("initContainers"), TemplateInput.PROXY).isEmpty()
        || !(spec.get("containers") instanceof ArrayNode containers)) {
      return;
    }
    for (int i = 0; i < containers.size(); i++) {
      if (TemplateInput.PROXY.equals(containers.get(i).path("name").asText())) {
        JsonNode proxy = containers.remove(i);
        Json.childArray(spec, "initContainers").add(proxy);
        return;
      }
    }
  }

  private static void postProcess(ObjectNode pod, ObjectNode template, Map<String, String> envs, Params params,
      ObjectNode original) {
    ObjectNode meta = Json.child(pod, "metadata");
    ObjectNode annotations = Json.child(meta, "annotations");
    ObjectNode labels = Json.child(meta, "labels");
    if (!envs.isEmpty()) {
      InjectedContainers.findContainer(pod, TemplateInput.PROXY).ifPresent(p -> replaceEnv(p, envs));
    }
    PrometheusMerge.apply(pod, params.mesh());
    rewriteProbes(pod, params);
    if (envs.containsKey(NETWORK_ENV)) {
      labels.put(NETWORK_LABEL, envs.get(NETWORK_ENV));
    }
    annotations.put(InjectionStatus.ANNOTATION, InjectionStatus.of(template, params.revision()).toJson());
    params.settings().config().injectedAnnotations().forEach(annotations::put);
    InjectedContainers.reorder(pod, holdApplication(params, original));
  }

  /** Path settings replace the proxy's entries of the same name, appended in name order. */
  private static void replaceEnv(ObjectNode proxy, Map<String, String> envs) {
    ArrayNode env = Json.childArray(proxy, "env");
    for (int i = env.size() - 1; i >= 0; i--) {
      if (envs.containsKey(env.get(i).path("name").asText())) {
        env.remove(i);
      }
    }
    new TreeMap<>(envs).forEach((k, v) -> env.addObject().put("name", k).put("value", v));
  }

  private static void rewriteProbes(ObjectNode pod, Params params) {
    Map<String, String> annotations = Json.stringMap(pod.path("metadata").path("annotations"));
    var proxy = InjectedContainers.findContainer(pod, TemplateInput.PROXY);
    boolean wanted = ProbeRewrite.enabled(annotations,
        params.settings().values().truthy("sidecarInjectorWebhook.rewriteAppHTTPProbe"));
    if (proxy.isEmpty() || !wanted) {
      return;
    }
    int defaultPort = params.mesh().getDefaultConfig().getStatusPort();
    ProbeRewrite.appProbers(pod, defaultPort).ifPresent(probers ->
        AppProbers.mergeOrAppend(Json.childArray(proxy.get(), "env"), probers,
            annotations.containsKey(InjectionStatus.ANNOTATION)));
    int statusPort = defaultPort;
    String annotated = annotations.get(TemplateInput.STATUS_PORT);
    if (annotated != null) {
      try {
        statusPort = Integer.parseInt(annotated);
      } catch (NumberFormatException e) {
        statusPort = 0; // as upstream's Atoi failure; the annotation check refuses such pods first
      }
    }
    ProbeRewrite.rewrite(pod, statusPort);
  }

  private static boolean holdApplication(Params params, ObjectNode original) {
    ProxyConfig pc = params.mesh().getDefaultConfig();
    String annotation = original.path("metadata").path("annotations").path(ProxyConfigs.ANNOTATION).asText(null);
    if (annotation != null) {
      try {
        pc = ProxyConfigs.applyAnnotation(pc, annotation);
      } catch (IllegalArgumentException e) {
        // checked before injection started
      }
    }
    return pc.getHoldApplicationUntilProxyStarts().getValue()
        || params.settings().values().truthy("global.proxy.holdApplicationUntilProxyStarts");
  }

  /** A go-multierror's text, which upstream's annotation check returns even for one error. */
  static String multiError(List<String> errors) {
    StringBuilder b = new StringBuilder();
    b.append(errors.size()).append(errors.size() == 1 ? " error occurred:" : " errors occurred:");
    errors.forEach(e -> b.append("\n\t* ").append(e));
    return b.append("\n\n").toString();
  }
}
