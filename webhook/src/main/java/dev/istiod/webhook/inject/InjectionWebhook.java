package dev.istiod.webhook.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.webhook.AdmissionHandler;
import dev.istiod.webhook.AdmissionRequest;
import dev.istiod.webhook.AdmissionResponse;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sidecar injector's mutating webhook ({@code /inject}, {@code /inject/...}). The webhook
 * configuration's selectors decide which pods are sent; this re-checks upstream's injection
 * policy, injects, and answers with a JSON Patch. A pod that cannot be injected (bad
 * annotations, an unknown template) is refused with the reason, as upstream.
 */
public final class InjectionWebhook implements AdmissionHandler {
  private static final Logger log = LoggerFactory.getLogger(InjectionWebhook.class);

  private final Supplier<InjectionSettings> settings;
  private final Supplier<MeshConfig> mesh;
  private final NativeSidecars nativeSidecars;
  private final String revision;
  private final String compliancePolicy;
  private final InjectionMetrics metrics;

  /**
   * @param settings the injector ConfigMap's current content (read per request, so updates apply
   *     to the next pod)
   * @param mesh the current mesh config
   * @param revision istiod's {@code REVISION} ("" or "default" for the default revision)
   * @param compliancePolicy istiod's {@code COMPLIANCE_POLICY}; "" for none
   */
  public InjectionWebhook(Supplier<InjectionSettings> settings, Supplier<MeshConfig> mesh,
      NativeSidecars nativeSidecars, String revision, String compliancePolicy, PrometheusRegistry registry) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.mesh = Objects.requireNonNull(mesh, "mesh");
    this.nativeSidecars = Objects.requireNonNull(nativeSidecars, "nativeSidecars");
    this.revision = Objects.requireNonNull(revision, "revision");
    this.compliancePolicy = Objects.requireNonNull(compliancePolicy, "compliancePolicy");
    this.metrics = new InjectionMetrics(registry);
  }

  @Override
  public void onHttpError(int status) {
    metrics.request();
    metrics.failure();
  }

  @Override
  public AdmissionResponse admit(AdmissionRequest request, String path) {
    metrics.request();
    AdmissionResponse response = inject(request, path);
    metrics.success();
    return response;
  }

  private AdmissionResponse inject(AdmissionRequest request, String path) {
    if (!(request.object() instanceof ObjectNode object)) {
      metrics.failure();
      return AdmissionResponse.deny("could not unmarshal raw object: the request has no pod");
    }
    ObjectNode pod = object.deepCopy();
    ObjectNode meta = Json.child(pod, "metadata");
    // Managed fields can be large and never matter to injection; leaving them out keeps the diff cheap.
    meta.remove("managedFields");
    String namespace = meta.path("namespace").asText("");
    if (namespace.isEmpty()) {
      namespace = request.namespace();
      meta.put("namespace", namespace);
    }
    String podName = podName(meta);
    InjectionSettings current = settings.get();
    if (!InjectionPolicy.required(current.config(), pod, namespace)) {
      log.debug("skipping {}/{} due to policy check", namespace, podName);
      metrics.skip();
      return AdmissionResponse.allow();
    }
    Injector.Params params = new Injector.Params(current, mesh.get(), revision,
        nativeSidecars.enabledFor(pod.path("spec").path("nodeName").asText("")), InjectPath.envs(path),
        compliancePolicy);
    try {
      Injector.Result result = Injector.inject(pod, params);
      log.info("injected sidecar into {}/{} ({} patch operations)", namespace, podName, result.patch().size());
      return AdmissionResponse.patch(result.patch());
    } catch (InjectionException e) {
      log.warn("pod injection failed for {}/{}: {}", namespace, podName, e.getMessage());
      metrics.failure();
      return AdmissionResponse.deny(e.getMessage());
    }
  }

  private static String podName(JsonNode meta) {
    String name = meta.path("name").asText("");
    if (!name.isEmpty()) {
      return name;
    }
    String generate = meta.path("generateName").asText("");
    return generate.isEmpty() ? "" : generate + "***** (actual name not yet known)";
  }
}
