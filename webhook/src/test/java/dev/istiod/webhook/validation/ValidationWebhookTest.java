package dev.istiod.webhook.validation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.istiod.configstore.KindRegistry;
import dev.istiod.webhook.AdmissionRequest;
import dev.istiod.webhook.AdmissionResponse;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The validation webhook's envelope around the kind registry: one valid and one invalid object
 * of every kind, refused with upstream's wording; unknown kinds, strict decoding, operations,
 * the always-reject annotation, warnings and metrics.
 */
class ValidationWebhookTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final PrometheusRegistry metrics = new PrometheusRegistry();
  private final ValidationWebhook webhook = new ValidationWebhook(KindRegistry.istio(), metrics);

  static Stream<Arguments> validObjects() {
    return Stream.of(
        Arguments.of("VirtualService", """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: default}
            spec:
              hosts: [reviews]
              http:
              - route:
                - destination: {host: reviews, subset: v1}
            """),
        Arguments.of("DestinationRule", """
            apiVersion: networking.istio.io/v1beta1
            kind: DestinationRule
            metadata: {name: reviews, namespace: default}
            spec:
              host: reviews
              subsets:
              - name: v1
                labels: {version: v1}
            """),
        Arguments.of("Gateway", """
            apiVersion: networking.istio.io/v1alpha3
            kind: Gateway
            metadata: {name: gw, namespace: default}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 80, name: http, protocol: HTTP}
                hosts: ["*"]
            """),
        Arguments.of("ServiceEntry", """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: ext, namespace: default}
            spec:
              hosts: [api.example.com]
              ports: [{number: 443, name: https, protocol: TLS}]
              resolution: DNS
            """),
        Arguments.of("WorkloadEntry", """
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: vm, namespace: default}
            spec: {address: 10.0.0.5, labels: {app: vm}}
            """),
        Arguments.of("WorkloadGroup", """
            apiVersion: networking.istio.io/v1
            kind: WorkloadGroup
            metadata: {name: vms, namespace: default}
            spec:
              metadata: {labels: {app: vm}}
              template: {serviceAccount: vm}
            """),
        Arguments.of("Sidecar", """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: default}
            spec:
              egress:
              - hosts: ["./*", "istio-system/*"]
            """),
        Arguments.of("EnvoyFilter", """
            apiVersion: networking.istio.io/v1alpha3
            kind: EnvoyFilter
            metadata: {name: lua, namespace: default}
            spec:
              configPatches:
              - applyTo: CLUSTER
                match: {context: SIDECAR_OUTBOUND}
                patch:
                  operation: MERGE
                  value: {connect_timeout: 1s}
            """),
        Arguments.of("PeerAuthentication", """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: istio-system}
            spec: {mtls: {mode: STRICT}}
            """),
        Arguments.of("RequestAuthentication", """
            apiVersion: security.istio.io/v1beta1
            kind: RequestAuthentication
            metadata: {name: jwt, namespace: default}
            spec:
              jwtRules:
              - issuer: https://issuer.example.com
                jwksUri: https://issuer.example.com/jwks.json
            """),
        Arguments.of("AuthorizationPolicy", """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: allow-get, namespace: default}
            spec:
              action: ALLOW
              rules:
              - to:
                - operation: {methods: [GET]}
            """));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validObjects")
  void validObject_isAllowed(String kind, String yaml) {
    AdmissionResponse r = webhook.admit(request("CREATE", yaml), "/validate");

    assertThat(r.allowed()).as(r.message()).isTrue();
    assertThat(r.message()).isEmpty();
  }

  static Stream<Arguments> invalidObjects() {
    return Stream.of(
        Arguments.of("VirtualService without routes", """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: default}
            spec:
              hosts: [reviews]
            """, "configuration is invalid: http, tcp or tls must be provided in virtual service"),
        Arguments.of("VirtualService weights", """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: default}
            spec:
              hosts: [reviews]
              http:
              - route:
                - destination: {host: reviews}
                  weight: -1
            """, "configuration is invalid: weight -1 < 0"),
        Arguments.of("DestinationRule without host", """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews, namespace: default}
            spec:
              subsets: [{name: v1}]
            """, "configuration is invalid: empty domain name not allowed"),
        Arguments.of("Gateway without servers", """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: gw, namespace: default}
            spec: {selector: {istio: ingressgateway}}
            """, "configuration is invalid: gateway must have at least one server"),
        Arguments.of("ServiceEntry without hosts", """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: ext, namespace: default}
            spec:
              ports: [{number: 443, name: https, protocol: TLS}]
              resolution: DNS
            """, "configuration is invalid: service entry must have at least one host"),
        Arguments.of("WorkloadEntry bad address", """
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: vm, namespace: default}
            spec: {address: "not an address!"}
            """, "configuration is invalid: endpoint address \"not an address!\" is not a valid FQDN or an IP address"),
        Arguments.of("WorkloadGroup bad label", """
            apiVersion: networking.istio.io/v1
            kind: WorkloadGroup
            metadata: {name: vms, namespace: default}
            spec:
              metadata: {labels: {"bad key!": vm}}
              template: {}
            """, "configuration is invalid: invalid labels: invalid tag key: \"bad key!\""),
        Arguments.of("Sidecar egress without hosts", """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: default}
            spec:
              egress:
              - hosts: []
            """, "configuration is invalid: sidecar: egress listener must contain at least one host"),
        Arguments.of("EnvoyFilter without patch", """
            apiVersion: networking.istio.io/v1alpha3
            kind: EnvoyFilter
            metadata: {name: lua, namespace: default}
            spec:
              configPatches:
              - applyTo: CLUSTER
            """, "configuration is invalid: Envoy filter: missing patch"),
        Arguments.of("PeerAuthentication port mTLS without selector", """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: default}
            spec:
              portLevelMtls:
                "8080": {mode: DISABLE}
            """, "configuration is invalid: mesh/namespace peer authentication cannot have port level mTLS"),
        Arguments.of("RequestAuthentication without issuer", """
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata: {name: jwt, namespace: default}
            spec:
              jwtRules:
              - forwardOriginalToken: true
            """, "configuration is invalid: issuer or jwksUri must be non-empty string"),
        Arguments.of("AuthorizationPolicy bad action", """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: deny, namespace: default}
            spec:
              action: DENY
            """, "configuration is invalid: invalid policy deny.default: DENY action without `rules` is meaningless"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidObjects")
  void invalidObject_isDeniedWithUpstreamsMessage(String name, String yaml, String message) {
    AdmissionResponse r = webhook.admit(request("CREATE", yaml), "/validate");

    assertThat(r.allowed()).isFalse();
    assertThat(r.message()).startsWith(message);
  }

  @Test
  void unknownField_inSpec_isRefusedByStrictDecoding() {
    AdmissionResponse r = webhook.admit(request("CREATE", """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: typo, namespace: default}
        spec:
          hosts: [reviews]
          htttp: []
        """), "/validate");

    assertThat(r.allowed()).isFalse();
    assertThat(r.message()).startsWith("error decoding configuration: ").contains("htttp");
  }

  @Test
  void unknownTopLevelField_isRefusedLikeUpstream() {
    AdmissionResponse r = webhook.admit(request("CREATE", """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: default}
        spec:
          servers:
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: ["*"]
        extra: true
        """), "/validate");

    assertThat(r.allowed()).isFalse();
    assertThat(r.message()).isEqualTo("unknown field \"extra\" on Gateway resource default/gw");
  }

  @Test
  void unknownKind_inAnIstioGroup_isDenied() {
    AdmissionResponse r = webhook.admit(request("CREATE", """
        apiVersion: networking.istio.io/v1
        kind: Router
        metadata: {name: r, namespace: default}
        spec: {}
        """), "/validate");

    assertThat(r.allowed()).isFalse();
    assertThat(r.message()).isEqualTo("unrecognized type networking.istio.io/v1, Kind=Router");
  }

  @Test
  void upstreamKindThisIstiodDoesNotModel_isAdmittedWithAWarning() {
    AdmissionResponse r = webhook.admit(request("CREATE", """
        apiVersion: extensions.istio.io/v1alpha1
        kind: TrafficExtension
        metadata: {name: ext, namespace: istio-system}
        spec: {}
        """), "/validate");

    assertThat(r.allowed()).isTrue();
    assertThat(r.warnings()).containsExactly("TrafficExtension is not validated by this istiod; accepted as is");
  }

  @Test
  void telemetry_isValidatedLikeUpstream() {
    AdmissionResponse ok = webhook.admit(request("CREATE", """
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {name: mesh-default, namespace: istio-system}
        spec: {accessLogging: [{providers: [{name: envoy}]}]}
        """), "/validate");
    AdmissionResponse bad = webhook.admit(request("CREATE", """
        apiVersion: telemetry.istio.io/v1alpha1
        kind: Telemetry
        metadata: {name: mesh-default, namespace: istio-system}
        spec: {accessLogging: [{providers: [{}]}]}
        """), "/validate");

    assertThat(ok.allowed()).isTrue();
    assertThat(ok.warnings()).isEmpty();
    assertThat(bad.allowed()).isFalse();
    assertThat(bad.message()).isEqualTo("configuration is invalid: providers.name may not be empty");
  }

  @Test
  void newerVersionOfAKnownKind_isValidatedAsTheKind() {
    AdmissionResponse r = webhook.admit(request("UPDATE", """
        apiVersion: networking.istio.io/v2
        kind: Gateway
        metadata: {name: gw, namespace: default}
        spec: {}
        """), "/validate");

    assertThat(r.allowed()).isFalse();
    assertThat(r.message()).isEqualTo("configuration is invalid: gateway must have at least one server");
  }

  @Test
  void alwaysRejectAnnotation_isDenied_soIstiodCanProbeItsOwnWebhook() {
    AdmissionResponse r = webhook.admit(request("CREATE", """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata:
          name: invalid-gateway
          namespace: istio-system
          annotations: {internal.istio.io/webhook-always-reject: "true"}
        spec:
          servers:
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: ["*"]
        """, true), "/validate");

    assertThat(r.allowed()).isFalse();
    assertThat(r.message()).startsWith("configuration is invalid: ").contains("webhook-always-reject");
  }

  @Test
  void deleteAndConnect_areNotValidated() {
    AdmissionRequest delete = new AdmissionRequest("u", null, null, "", "gw", "default", "DELETE",
        MissingNode.getInstance(), node("apiVersion: networking.istio.io/v1\nkind: Gateway\nspec: {}"), false);

    assertThat(webhook.admit(delete, "/validate").allowed()).isTrue();
  }

  @Test
  void objectMissing_onCreate_isDenied() {
    AdmissionRequest create = new AdmissionRequest("u", null, null, "", "gw", "default", "CREATE",
        MissingNode.getInstance(), MissingNode.getInstance(), false);

    AdmissionResponse r = webhook.admit(create, "/validate");

    assertThat(r.allowed()).isFalse();
    assertThat(r.message()).startsWith("cannot decode configuration");
  }

  @Test
  void severalErrors_readAsUpstreamsMultiError() {
    assertThat(ValidationWebhook.joinLikeUpstream(java.util.List.of("a is wrong", "b is wrong")))
        .isEqualTo("2 errors occurred:\n\t* a is wrong\n\t* b is wrong\n\n");
    assertThat(ValidationWebhook.joinLikeUpstream(java.util.List.of("a is wrong"))).isEqualTo("a is wrong");
  }

  @Test
  void metrics_countPassedAndFailedByResourceAndReason_butNotDryRunFailures() {
    webhook.admit(request("CREATE", """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: default}
        spec: {}
        """), "/validate");
    webhook.admit(request("CREATE", """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: default}
        spec: {}
        """, true), "/validate");
    webhook.admit(request("CREATE", """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: default}
        spec:
          servers:
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: ["*"]
        """), "/validate");
    webhook.onHttpError(400);

    assertThat(counter("galley_validation_failed", "invalid_resource")).isEqualTo(1);
    assertThat(counter("galley_validation_passed", null)).isEqualTo(1);
    assertThat(counter("galley_validation_http_error", null)).isEqualTo(1);
  }

  private double counter(String name, String reason) {
    for (MetricSnapshot s : metrics.scrape()) {
      if (s.getMetadata().getName().equals(name) && s instanceof CounterSnapshot c) {
        return c.getDataPoints().stream()
            .filter(p -> reason == null || reason.equals(p.getLabels().get("reason")))
            .mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue).sum();
      }
    }
    return 0;
  }

  private static AdmissionRequest request(String op, String yaml) {
    return request(op, yaml, false);
  }

  private static AdmissionRequest request(String op, String yaml, boolean dryRun) {
    ObjectNode object = (ObjectNode) node(yaml);
    String apiVersion = object.path("apiVersion").asText();
    String group = apiVersion.substring(0, apiVersion.indexOf('/'));
    String version = apiVersion.substring(apiVersion.indexOf('/') + 1);
    String kind = object.path("kind").asText();
    return new AdmissionRequest("uid-1", new AdmissionRequest.GroupVersionKind(group, version, kind),
        new AdmissionRequest.GroupVersionResource(group, version, kind.toLowerCase() + "s"), "",
        object.path("metadata").path("name").asText(), object.path("metadata").path("namespace").asText(), op,
        object, MissingNode.getInstance(), dryRun);
  }

  private static JsonNode node(String yaml) {
    try {
      return YAML.readTree(yaml);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
