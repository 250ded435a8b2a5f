package dev.istiod.configstore.validation;

import static dev.istiod.configstore.validation.ValidationCase.invalid;
import static dev.istiod.configstore.validation.ValidationCase.valid;
import static dev.istiod.configstore.validation.ValidationCase.warns;
import static dev.istiod.model.Kind.VIRTUAL_SERVICE;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class VirtualServiceValidatorTest {
  private static final String RE2 = "; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)";

  static Stream<ValidationCase> cases() {
    return Stream.of(
        valid(VIRTUAL_SERVICE, "weighted split to subsets", """
            hosts: [reviews]
            http:
            - match: [{uri: {prefix: /v2}, headers: {end-user: {exact: jason}}}]
              timeout: 1h30m
              retries: {attempts: 3, perTryTimeout: 100ms, retryOn: "5xx,connect-failure,503"}
              route:
              - {destination: {host: reviews, subset: v1}, weight: 75}
              - {destination: {host: reviews, subset: v2}, weight: 25}
            - route: [{destination: {host: reviews.default.svc.cluster.local, port: {number: 9080}}}]
            """),
        valid(VIRTUAL_SERVICE, "weights are relative: 30/30 need not sum to 100", """
            hosts: [reviews]
            http:
            - route:
              - {destination: {host: reviews, subset: v1}, weight: 30}
              - {destination: {host: reviews, subset: v2}, weight: 30}
            """),
        invalid(VIRTUAL_SERVICE, "all-zero split of two destinations", """
            hosts: [reviews]
            http:
            - route:
              - {destination: {host: reviews, subset: v1}, weight: 0}
              - {destination: {host: reviews, subset: v2}, weight: 0}
            """, "total destination weight = 0"),
        invalid(VIRTUAL_SERVICE, "split without any weight", """
            hosts: [reviews]
            http: [{route: [{destination: {host: a}}, {destination: {host: b}}]}]
            """, "total destination weight = 0"),
        invalid(VIRTUAL_SERVICE, "negative weight", """
            hosts: [reviews]
            http: [{route: [{destination: {host: a}, weight: -10}, {destination: {host: b}, weight: 110}]}]
            """, "weight -10 < 0"),
        valid(VIRTUAL_SERVICE, "single destination weight is not checked", """
            hosts: [reviews]
            http: [{route: [{destination: {host: a}, weight: 30}]}]
            """),
        invalid(VIRTUAL_SERVICE, "uri regex that RE2 cannot compile", """
            hosts: [reviews]
            http: [{match: [{uri: {regex: "a(b"}}], route: [{destination: {host: a}}]}]
            """, "\"uri\": error parsing regexp: missing closing ): `a(b` in regex \"a(b\"" + RE2),
        invalid(VIRTUAL_SERVICE, "lookahead is Java but not RE2", """
            hosts: [reviews]
            http: [{match: [{headers: {x-user: {regex: "(?=admin).*"}}}], route: [{destination: {host: a}}]}]
            """, "\"headers\": error parsing regexp: invalid or unsupported Perl syntax: `(?=` in regex \"(?=admin).*\"" + RE2),
        invalid(VIRTUAL_SERVICE, "empty prefix in a header match", """
            hosts: [reviews]
            http: [{match: [{headers: {x-user: {prefix: ""}}}], route: [{destination: {host: a}}]}]
            """, "\"headers\": prefix string match should not be empty"),
        invalid(VIRTUAL_SERVICE, "route without destination", """
            hosts: [reviews]
            http: [{route: [{weight: 100}]}]
            """, "destination is required"),
        invalid(VIRTUAL_SERVICE, "destination without host", """
            hosts: [reviews]
            http: [{route: [{destination: {subset: v1}}]}]
            """, "empty domain name not allowed"),
        invalid(VIRTUAL_SERVICE, "destination host *", """
            hosts: [reviews]
            http: [{route: [{destination: {host: "*"}}]}]
            """, "invalid destination host *"),
        invalid(VIRTUAL_SERVICE, "bad subset name", """
            hosts: [reviews]
            http: [{route: [{destination: {host: a, subset: V_1}}]}]
            """, "subset name is invalid: V_1"),
        invalid(VIRTUAL_SERVICE, "http route with nothing to do", """
            hosts: [reviews]
            http: [{match: [{uri: {exact: /}}]}]
            """, "HTTP route, redirect or direct_response is required"),
        invalid(VIRTUAL_SERVICE, "no routes at all", """
            hosts: [reviews]
            """, "http, tcp or tls must be provided in virtual service"),
        invalid(VIRTUAL_SERVICE, "invalid host", """
            hosts: [foo..bar]
            http: [{route: [{destination: {host: a}}]}]
            """, "domain name \".bar\" invalid (label \"\" invalid)"),
        invalid(VIRTUAL_SERVICE, "wildcard host on the mesh", """
            hosts: ["*"]
            http: [{route: [{destination: {host: a}}]}]
            """, "wildcard host * is not allowed for virtual services bound to the mesh gateway"),
        valid(VIRTUAL_SERVICE, "wildcard host on a gateway", """
            hosts: ["*"]
            gateways: [istio-system/ingress]
            http: [{route: [{destination: {host: a}}]}]
            """),
        invalid(VIRTUAL_SERVICE, "overlapping hosts", """
            hosts: ["*.foo.com", bar.foo.com]
            http: [{route: [{destination: {host: a}}]}]
            """, "duplicate hosts in virtual service: *.foo.com & bar.foo.com"),
        invalid(VIRTUAL_SERVICE, "bad gateway reference", """
            hosts: [reviews]
            gateways: [istio-system/Bad_Gw]
            http: [{route: [{destination: {host: a}}]}]
            """, "invalid value for gateway name: \"Bad_Gw\""),
        warns(VIRTUAL_SERVICE, "legacy gateway name", """
            hosts: [reviews]
            gateways: [gw.istio-system]
            http: [{route: [{destination: {host: a}}]}]
            """, "using legacy gatewayName format \"gw.istio-system\"; prefer the <namespace>/<name> format: \"istio-system/gw\""),
        invalid(VIRTUAL_SERVICE, "timeout below 1ms", """
            hosts: [reviews]
            http: [{timeout: 500us, route: [{destination: {host: a}}]}]
            """, "duration must be greater than 1ms"),
        invalid(VIRTUAL_SERVICE, "per-try timeout finer than ms", """
            hosts: [reviews]
            http: [{retries: {attempts: 2, perTryTimeout: 1.0005s}, route: [{destination: {host: a}}]}]
            """, "only durations to ms precision are supported"),
        invalid(VIRTUAL_SERVICE, "retry policy with zero attempts", """
            hosts: [reviews]
            http: [{retries: {attempts: 0, retryOn: 5xx}, route: [{destination: {host: a}}]}]
            """, "http retry policy configured when attempts are set to 0 (disabled)"),
        invalid(VIRTUAL_SERVICE, "unknown retryOn policy", """
            hosts: [reviews]
            http: [{retries: {attempts: 1, retryOn: "5xx,sometimes"}, route: [{destination: {host: a}}]}]
            """, "\"sometimes\" is not a valid retryOn policy"),
        invalid(VIRTUAL_SERVICE, "redirect with route and rewrite", """
            hosts: [reviews]
            http: [{redirect: {uri: /new}, rewrite: {uri: /x}, route: [{destination: {host: a}}]}]
            """, "HTTP route cannot contain both route and redirect",
            "HTTP route rule cannot contain both rewrite and redirect"),
        invalid(VIRTUAL_SERVICE, "redirect that goes nowhere", """
            hosts: [reviews]
            http: [{redirect: {redirectCode: 301}}]
            """, "redirect must specify URI, authority, scheme, or port"),
        invalid(VIRTUAL_SERVICE, "rewrite with uri and regex", """
            hosts: [reviews]
            http: [{rewrite: {uri: /a, uriRegexRewrite: {match: "^/b", rewrite: /c}}, route: [{destination: {host: a}}]}]
            """, "rewrite may only contain one of URI or UriRegexRewrite"),
        invalid(VIRTUAL_SERVICE, "mirror and mirrors", """
            hosts: [reviews]
            http: [{mirror: {host: a}, mirrors: [{destination: {host: b}}], route: [{destination: {host: a}}]}]
            """, "HTTP route cannot contain both mirror and mirrors"),
        invalid(VIRTUAL_SERVICE, "fault with nothing to inject", """
            hosts: [reviews]
            http: [{fault: {}, route: [{destination: {host: a}}]}]
            """, "HTTP fault injection must have an abort and/or a delay"),
        invalid(VIRTUAL_SERVICE, "setting a pseudo-header", """
            hosts: [reviews]
            http: [{headers: {request: {set: {":path": /x}}}, route: [{destination: {host: a}}]}]
            """, "invalid header \":path\": header cannot have \":\" prefix"),
        invalid(VIRTUAL_SERVICE, "root route both delegates and routes", """
            hosts: [reviews]
            http: [{name: r, delegate: {name: child}, route: [{destination: {host: a}}]}]
            """, "root HTTP route r must not specify route"),
        invalid(VIRTUAL_SERVICE, "delegate VirtualService that delegates again", """
            http: [{delegate: {name: grandchild}}]
            """, "delegate HTTP route cannot contain delegate", "HTTP route, redirect or direct_response is required"),
        invalid(VIRTUAL_SERVICE, "delegate VirtualService with gateways", """
            gateways: [istio-system/gw]
            http: [{route: [{destination: {host: a}}]}]
            """, "delegate virtual service must have no gateways specified"),
        warns(VIRTUAL_SERVICE, "repeated match", """
            hosts: [reviews]
            http:
            - {match: [{uri: {exact: /a}}], route: [{destination: {host: a}}]}
            - {match: [{uri: {exact: /a}}], route: [{destination: {host: b}}]}
            """, "virtualService rule #1 match #0 is not used (duplicate/overlapping match in rule #0)",
            "virtualService rule #1 not used (all matches used by prior rules)"),
        warns(VIRTUAL_SERVICE, "repeated named match", """
            hosts: [reviews]
            http:
            - {name: first, match: [{name: a, uri: {exact: /a}}], route: [{destination: {host: a}}]}
            - {name: second, match: [{name: b, uri: {exact: /a}}, {uri: {exact: /b}}], route: [{destination: {host: b}}]}
            """, "virtualService rule \"second\" match \"b\" is not used (duplicate/overlapping match in rule \"first\")"),
        warns(VIRTUAL_SERVICE, "rule after a catch-all", """
            hosts: [reviews]
            http:
            - {route: [{destination: {host: a}}]}
            - {match: [{uri: {exact: /a}}], route: [{destination: {host: b}}]}
            """, "virtualService rule #1 not used (route without matches defined before)"),
        warns(VIRTUAL_SERVICE, "prefix shadowed by a shorter prefix", """
            hosts: [reviews]
            http:
            - {match: [{uri: {prefix: /foo}}], route: [{destination: {host: a}}]}
            - {match: [{uri: {prefix: /foo/bar}}], route: [{destination: {host: b}}]}
            """, "virtualService rule #1 match #0 of prefix /foo/bar is not used "
            + "(duplicate/overlapping match in rule #0 of prefix /foo on #0)"),
        valid(VIRTUAL_SERVICE, "tcp and tls weights are relative too", """
            hosts: [db.example.com]
            tcp: [{route: [{destination: {host: a}, weight: 1}, {destination: {host: b}, weight: 3}]}]
            tls:
            - match: [{sniHosts: [db.example.com]}]
              route: [{destination: {host: a}, weight: 30}, {destination: {host: b}, weight: 30}]
            """),
        invalid(VIRTUAL_SERVICE, "tcp all-zero split and negative tls weight", """
            hosts: [db.example.com]
            tcp: [{route: [{destination: {host: a}}, {destination: {host: b}}]}]
            tls:
            - match: [{sniHosts: [db.example.com]}]
              route: [{destination: {host: a}, weight: -1}, {destination: {host: b}, weight: 50}]
            """, "total destination weight = 0", "weight -1 < 0"),
        invalid(VIRTUAL_SERVICE, "tcp route without destinations", """
            hosts: [reviews]
            tcp: [{match: [{port: 3306}]}]
            """, "TCP route is required"),
        invalid(VIRTUAL_SERVICE, "tls route without sni", """
            hosts: [reviews]
            tls: [{match: [{port: 443}], route: [{destination: {host: a}}]}]
            """, "TLS match must have at least one SNI host"),
        invalid(VIRTUAL_SERVICE, "exportTo listed twice", """
            hosts: [reviews]
            exportTo: [default, "."]
            http: [{route: [{destination: {host: a}}]}]
            """, "duplicate entries in exportTo: . and current namespace default"),
        invalid(VIRTUAL_SERVICE, "always-reject annotation", """
            hosts: [reviews]
            http: [{route: [{destination: {host: a}}]}]
            """, "\"internal.istio.io/webhook-always-reject\" annotation found, rejecting")
            .withMetadata("annotations: {internal.istio.io/webhook-always-reject: \"true\"}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void validate_matchesUpstreamRules(ValidationCase c) {
    c.check();
  }
}
