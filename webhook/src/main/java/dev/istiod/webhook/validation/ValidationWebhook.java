package dev.istiod.webhook.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.istiod.configstore.ConfigDecodeException;
import dev.istiod.configstore.ConfigDecoder;
import dev.istiod.configstore.DecodeMode;
import dev.istiod.configstore.KindRegistry;
import dev.istiod.configstore.KindSchema;
import dev.istiod.configstore.validation.ValidationResult;
import dev.istiod.model.Config;
import dev.istiod.webhook.AdmissionHandler;
import dev.istiod.webhook.AdmissionRequest;
import dev.istiod.webhook.AdmissionResponse;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Galley's validating webhook ({@code /validate}): the admission envelope around the kind
 * registry's decoder and validators, so that the webhook, the config directory and the cluster
 * config source share one definition of valid.
 *
 * <p>As upstream (pkg/webhooks/validation/server): only CREATE and UPDATE are checked; the kind
 * is looked up by group and kind whatever the version, so a newer served version is not
 * refused; the spec is decoded strictly (unknown fields refused); a refusal reads
 * {@code configuration is invalid: ...}; warnings are returned as admission warnings.
 *
 * <p>Kinds upstream Istio knows but this istiod does not model (TrafficExtension, new in 1.30)
 * are admitted with a warning rather than refused, so that users who keep upstream's CRDs can
 * still apply them.
 */
public final class ValidationWebhook implements AdmissionHandler {
  private static final Logger log = LoggerFactory.getLogger(ValidationWebhook.class);
  private static final Set<String> TOP_LEVEL_FIELDS = Set.of("apiVersion", "kind", "metadata", "spec", "status");
  private static final Set<String> NOT_MODELLED = Set.of("extensions.istio.io/TrafficExtension");

  private final KindRegistry registry;
  private final ConfigDecoder decoder;
  private final ValidationMetrics metrics;

  public ValidationWebhook(KindRegistry registry, PrometheusRegistry metrics) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.decoder = new ConfigDecoder(registry, DecodeMode.STRICT);
    this.metrics = new ValidationMetrics(metrics);
  }

  @Override
  public void onHttpError(int status) {
    metrics.httpError(status);
  }

  @Override
  public AdmissionResponse admit(AdmissionRequest request, String path) {
    String op = request.operation();
    if (!op.equals("CREATE") && !op.equals("UPDATE")) {
      metrics.failed(request, ValidationMetrics.UNSUPPORTED_OPERATION);
      return AdmissionResponse.allow();
    }
    JsonNode object = request.object();
    if (!object.isObject()) {
      return deny(request, ValidationMetrics.YAML_DECODE_ERROR,
          "cannot decode configuration: the request has no object");
    }
    String apiVersion = object.path("apiVersion").asText("");
    String kind = object.path("kind").asText("");
    int slash = apiVersion.indexOf('/');
    String group = slash < 0 ? "" : apiVersion.substring(0, slash);
    String version = slash < 0 ? apiVersion : apiVersion.substring(slash + 1);
    Optional<KindSchema> schema = registry.findByGroupKind(group, kind);
    if (schema.isEmpty()) {
      if (NOT_MODELLED.contains(group + "/" + kind)) {
        metrics.passed(request);
        return AdmissionResponse.allow(List.of(kind + " is not validated by this istiod; accepted as is"));
      }
      return deny(request, ValidationMetrics.UNKNOWN_TYPE,
          "unrecognized type " + new AdmissionRequest.GroupVersionKind(group, version, kind));
    }
    Config config;
    try {
      config = decoder.decodeObject(decodable((ObjectNode) object, schema.get(), version),
          "admission " + op + " " + request.namespace() + "/" + request.name(),
          request.namespace().isEmpty() ? ConfigDecoder.DEFAULT_NAMESPACE : request.namespace());
    } catch (ConfigDecodeException e) {
      return deny(request, ValidationMetrics.CRD_CONVERSION_ERROR, "error decoding configuration: " + e.reason());
    }
    ValidationResult result = registry.validate(config);
    if (!result.isValid()) {
      String message = "configuration is invalid: " + joinLikeUpstream(result.errors());
      if (!config.meta().annotations().containsKey("internal.istio.io/webhook-always-reject")) {
        log.info("{} {}/{}: {}{}", kind, config.meta().namespace(), config.meta().name(), message,
            request.dryRun() ? " (dry run)" : "");
      }
      metrics.failed(request, ValidationMetrics.INVALID_RESOURCE);
      return AdmissionResponse.deny(message);
    }
    for (String field : iterable(object.fieldNames())) {
      if (!TOP_LEVEL_FIELDS.contains(field)) {
        return deny(request, ValidationMetrics.INVALID_RESOURCE, "unknown field \"" + field + "\" on "
            + request.kind().kind() + " resource " + request.namespace() + "/" + config.meta().name());
      }
    }
    metrics.passed(request);
    return AdmissionResponse.allow(result.warnings());
  }

  /**
   * The object as the decoder takes it: top-level fields upstream tolerates until after
   * validation are left out (reported afterwards, with upstream's message), and a version the
   * registry does not list is read as the storage version (all versions share one schema).
   */
  private static ObjectNode decodable(ObjectNode object, KindSchema schema, String version) {
    ObjectNode copy = object.deepCopy();
    copy.retain(TOP_LEVEL_FIELDS);
    if (!schema.serves(version)) {
      copy.put("apiVersion", schema.apiVersion());
    }
    return copy;
  }

  private AdmissionResponse deny(AdmissionRequest request, String reason, String message) {
    log.info("{} {} {}/{} denied: {}{}", request.operation(), request.kind().kind(), request.namespace(),
        request.name(), message, request.dryRun() ? " (dry run)" : "");
    metrics.failed(request, reason);
    return AdmissionResponse.deny(message);
  }

  /**
   * Upstream's errors are a go-multierror: one error reads as itself, several as
   * {@code N errors occurred:} followed by a tab-indented {@code * error} line each.
   */
  static String joinLikeUpstream(List<String> errors) {
    if (errors.size() == 1) {
      return errors.get(0);
    }
    List<String> points = new ArrayList<>();
    errors.forEach(e -> points.add("* " + e));
    return errors.size() + " errors occurred:\n\t" + String.join("\n\t", points) + "\n\n";
  }

  private static <T> Iterable<T> iterable(java.util.Iterator<T> it) {
    return () -> it;
  }
}
