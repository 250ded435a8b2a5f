package dev.istiod.configstore.validation;

import static dev.istiod.configstore.validation.ValidationCase.invalid;
import static dev.istiod.configstore.validation.ValidationCase.valid;
import static dev.istiod.configstore.validation.ValidationCase.warns;
import static dev.istiod.model.Kind.PROXY_CONFIG;
import static dev.istiod.model.Kind.TELEMETRY;
import static dev.istiod.model.Kind.WASM_PLUGIN;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Telemetry, WasmPlugin and ProxyConfig: upstream's rules and messages. */
class ExtensionKindsValidatorTest {
  private static final String SHA = "a".repeat(64);

  static Stream<ValidationCase> cases() {
    return Stream.of(
        valid(TELEMETRY, "access logging for a workload, client side only", """
            selector: {matchLabels: {app: reviews}}
            accessLogging: [{providers: [{name: envoy}], match: {mode: CLIENT}}]
            """),
        valid(TELEMETRY, "namespace-wide disabled access logging", """
            accessLogging: [{disabled: true}]
            """),
        valid(TELEMETRY, "access log filter", """
            accessLogging: [{filter: {expression: "response.code >= 400 && request.headers['x'] == 'y'"}}]
            """),
        invalid(TELEMETRY, "unnamed access log provider", """
            accessLogging: [{providers: [{name: envoy}, {}]}]
            """, "providers.name may not be empty"),
        invalid(TELEMETRY, "unbalanced access log filter", """
            accessLogging: [{filter: {expression: "size(request.headers > 3"}}]
            """, "must be a valid CEL expression, ERROR: <input>:1:25: Syntax error: missing ')' at '<EOF>'"),
        invalid(TELEMETRY, "empty access log filter", """
            accessLogging: [{filter: {}}]
            """, "must be a valid CEL expression, ERROR: <input>:1:1: Syntax error: mismatched input '<EOF>'"),
        invalid(TELEMETRY, "selector and targetRefs", """
            selector: {matchLabels: {app: a}}
            targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: gw}]
            """, "only one of targetRefs or workloadSelector can be set"),
        invalid(TELEMETRY, "cross-namespace target", """
            targetRef: {kind: Service, name: reviews, namespace: other}
            """, "targetRef namespace must not be set; cross namespace referencing is not supported"),
        warns(TELEMETRY, "two tracing entries, two providers", """
            tracing: [{providers: [{name: a}, {name: b}]}, {randomSamplingPercentage: 10}]
            """, "multiple tracing is not currently supported", "multiple providers is not currently supported"),
        invalid(TELEMETRY, "sampling over 100 percent and empty custom tags", """
            tracing:
            - randomSamplingPercentage: 100.5
              customTags:
                a: {literal: {}}
                b: {header: {}}
                c: {environment: {defaultValue: x}}
            """, "randomSamplingPercentage must be in range [0.0, 100.0]", "literal tag value may not be empty",
            "header tag name may not be empty", "environment tag name may not be empty"),
        invalid(TELEMETRY, "tag overrides that contradict their operation", """
            metrics:
            - providers: [{name: prometheus}]
              overrides:
              - match: {customMetric: ""}
                tagOverrides:
                  a: {operation: UPSERT}
                  b: {operation: REMOVE, value: x}
            """, "tagOverrides.value must be set when operation is UPSERT",
            "tagOverrides.value may only be set when operation is UPSERT", "customMetric may not be empty"),
        valid(WASM_PLUGIN, "oci plugin for a workload", """
            selector: {matchLabels: {app: reviews}}
            url: oci://ghcr.io/example/filter:1.0
            sha256: %s
            phase: AUTHN
            pluginConfig: {header: x-test}
            match: [{mode: SERVER, ports: [{number: 9080}]}]
            vmConfig: {env: [{name: POD_NAME, valueFrom: HOST}, {name: A, value: b}]}
            """.formatted(SHA)),
        valid(WASM_PLUGIN, "url without a scheme", """
            url: ghcr.io/example/filter:1.0
            """),
        invalid(WASM_PLUGIN, "no url", """
            phase: STATS
            """, "url field needs to be set"),
        invalid(WASM_PLUGIN, "ftp url", """
            url: ftp://example.com/filter.wasm
            """, "url contains unsupported scheme: ftp"),
        invalid(WASM_PLUGIN, "short and non-hex sha256", """
            url: file:///opt/filter.wasm
            sha256: abc
            """, "sha256 field must be 64 characters long"),
        invalid(WASM_PLUGIN, "upper-case sha256", """
            url: file:///opt/filter.wasm
            sha256: %s
            """.formatted("A".repeat(64)), "sha256 field must match [a-f0-9]{64} pattern"),
        invalid(WASM_PLUGIN, "duplicate env and host value", """
            url: https://example.com/filter.wasm
            vmConfig: {env: [{name: A}, {name: A}]}
            """, "duplicate env"),
        invalid(WASM_PLUGIN, "value with valueFrom HOST", """
            url: https://example.com/filter.wasm
            vmConfig: {env: [{name: A, valueFrom: HOST, value: x}]}
            """, "value may only be set when valueFrom is INLINE"),
        invalid(WASM_PLUGIN, "port out of range", """
            url: https://example.com/filter.wasm
            match: [{ports: [{number: 80}]}, {ports: [{number: 70000}]}]
            """, "spec.Match[1].Ports[0] is out of range: 70000"),
        valid(PROXY_CONFIG, "concurrency and environment", """
            selector: {matchLabels: {app: reviews}}
            concurrency: 2
            environmentVariables: {ISTIO_META_X: "y"}
            image: {imageType: distroless}
            """),
        invalid(PROXY_CONFIG, "negative concurrency", """
            concurrency: -1
            """, "concurrency must be greater than or equal to 0"),
        invalid(PROXY_CONFIG, "wildcard selector", """
            selector: {matchLabels: {app: "*"}}
            """, "wildcard is not supported in selector: \"app=*\""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void validate_matchesUpstreamRules(ValidationCase c) {
    c.check();
  }
}
