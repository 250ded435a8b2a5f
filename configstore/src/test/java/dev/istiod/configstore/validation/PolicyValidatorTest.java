package dev.istiod.configstore.validation;

import static dev.istiod.configstore.validation.ValidationCase.invalid;
import static dev.istiod.configstore.validation.ValidationCase.valid;
import static dev.istiod.configstore.validation.ValidationCase.warns;
import static dev.istiod.model.Kind.AUTHORIZATION_POLICY;
import static dev.istiod.model.Kind.ENVOY_FILTER;
import static dev.istiod.model.Kind.PEER_AUTHENTICATION;
import static dev.istiod.model.Kind.REQUEST_AUTHENTICATION;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** EnvoyFilter and the security kinds: structural rules. */
class PolicyValidatorTest {
  private static final String EF_WARNING = "EnvoyFilter exposes internal implementation details that may change "
      + "at any time. Prefer other APIs if possible, and exercise extreme caution, especially around upgrades.";
  private static final String AP = "invalid policy test.default: ";

  static Stream<ValidationCase> cases() {
    return Stream.of(
        warns(ENVOY_FILTER, "listener patch", """
            workloadSelector: {labels: {app: reviews}}
            configPatches:
            - applyTo: HTTP_FILTER
              match:
                context: SIDECAR_INBOUND
                listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.router}}}}
              patch: {operation: INSERT_BEFORE, value: {name: envoy.lua}}
            """, EF_WARNING),
        invalid(ENVOY_FILTER, "patch without applyTo", """
            configPatches: [{patch: {operation: MERGE, value: {a: 1}}}]
            """, "Envoy filter: missing applyTo"),
        invalid(ENVOY_FILTER, "merge without value", """
            configPatches: [{applyTo: CLUSTER, patch: {operation: MERGE}}]
            """, "Envoy filter: missing patch value for non-remove operation"),
        invalid(ENVOY_FILTER, "cluster patch with a listener match", """
            configPatches: [{applyTo: CLUSTER, match: {listener: {portNumber: 80}}, patch: {operation: REMOVE}}]
            """, "Envoy filter: applyTo for cluster class objects cannot have non cluster match"),
        invalid(ENVOY_FILTER, "proxy version regex", """
            configPatches: [{applyTo: CLUSTER, match: {proxy: {proxyVersion: "1.2("}}, patch: {operation: REMOVE}}]
            """, "Envoy filter: invalid regex for proxy version, [error parsing regexp: missing closing ): `1.2(`]"),
        valid(PEER_AUTHENTICATION, "strict mtls with a port exception", """
            selector: {matchLabels: {app: reviews}}
            mtls: {mode: STRICT}
            portLevelMtls: {"8080": {mode: DISABLE}}
            """),
        invalid(PEER_AUTHENTICATION, "port-level mtls for a whole namespace", """
            mtls: {mode: STRICT}
            portLevelMtls: {"8080": {mode: DISABLE}}
            """, "mesh/namespace peer authentication cannot have port level mTLS"),
        warns(PEER_AUTHENTICATION, "selector without labels", """
            selector: {}
            mtls: {mode: PERMISSIVE}
            """, "workload selector specified without labels"),
        valid(REQUEST_AUTHENTICATION, "jwt rule", """
            selector: {matchLabels: {app: reviews}}
            jwtRules: [{issuer: "https://issuer.example.com", jwksUri: "https://issuer.example.com/jwks.json", timeout: 5s}]
            """),
        invalid(REQUEST_AUTHENTICATION, "jwt rule without issuer", """
            jwtRules: [{audiences: [""]}]
            """, "audience must be non-empty string", "issuer or jwksUri must be non-empty string"),
        invalid(REQUEST_AUTHENTICATION, "selector and targetRef", """
            selector: {matchLabels: {app: a}}
            targetRef: {kind: Gateway, group: gateway.networking.k8s.io, name: gw}
            jwtRules: [{issuer: i}]
            """, "only one of targetRefs or workloadSelector can be set"),
        valid(AUTHORIZATION_POLICY, "allow from a namespace to GET", """
            selector: {matchLabels: {app: reviews}}
            rules: [{from: [{source: {namespaces: [default]}}], to: [{operation: {methods: [GET], ports: ["9080"]}}]}]
            """),
        invalid(AUTHORIZATION_POLICY, "deny without rules", """
            action: DENY
            """, AP + "DENY action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` "
            + "if you want it be triggered for every request"),
        invalid(AUTHORIZATION_POLICY, "empty source and bad IP", """
            rules: [{from: [{source: {}}, {source: {ipBlocks: [10.0.0.300]}}]}]
            """, AP + "`from.source` must not be empty, found at rule 0", AP + "bad IP address (10.0.0.300)"),
        invalid(AUTHORIZATION_POLICY, "unknown condition key", """
            rules: [{when: [{key: request.colour, values: [red]}]}]
            """, AP + "invalid `value` for `key` request.colour: unknown attribute: request.colour",
            AP + "invalid `notValue` for `key` request.colour: unknown attribute: request.colour"),
        invalid(AUTHORIZATION_POLICY, "provider without CUSTOM", """
            provider: {name: ext-authz}
            rules: [{}]
            """, AP + "`provider` must not be with non CUSTOM action, found ALLOW"),
        invalid(AUTHORIZATION_POLICY, "dry-run with CUSTOM", """
            action: CUSTOM
            provider: {name: ext-authz}
            rules: [{}]
            """, "the annotation istio.io/dry-run currently only supports action ALLOW/DENY, found action CUSTOM in default/test")
            .withMetadata("annotations: {istio.io/dry-run: \"true\"}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void validate_matchesUpstreamRules(ValidationCase c) {
    c.check();
  }
}
