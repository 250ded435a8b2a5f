package dev.istiod.configstore.validation;

import static dev.istiod.configstore.validation.ValidationCase.invalid;
import static dev.istiod.configstore.validation.ValidationCase.valid;
import static dev.istiod.configstore.validation.ValidationCase.warns;
import static dev.istiod.model.Kind.SIDECAR;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SidecarValidatorTest {
  static Stream<ValidationCase> cases() {
    return Stream.of(
        valid(SIDECAR, "egress scoping and a bound listener without capture", """
            workloadSelector: {labels: {app: productpage}}
            ingress:
            - {port: {number: 9080, protocol: HTTP, name: http}, defaultEndpoint: "127.0.0.1:8080"}
            egress:
            - {port: {number: 9080, protocol: HTTP, name: http}, bind: 127.0.0.1, captureMode: NONE, hosts: [./reviews.default.svc.cluster.local]}
            - hosts: ["./*", istio-system/*]
            outboundTrafficPolicy: {mode: REGISTRY_ONLY}
            """),
        invalid(SIDECAR, "empty sidecar", """
            workloadSelector: {labels: {app: a}}
            """, "sidecar: empty configuration provided"),
        invalid(SIDECAR, "egress host without namespace", """
            egress: [{hosts: [reviews.default.svc.cluster.local]}]
            """, "host must be of form namespace/dnsName"),
        invalid(SIDECAR, "egress host with bad namespace", """
            egress: [{hosts: ["Bad_Ns/*"]}]
            """, "invalid namespace value \"Bad_Ns\" in sidecar"),
        invalid(SIDECAR, "egress listener without hosts", """
            egress: [{port: {number: 80, protocol: HTTP, name: http}}]
            """, "sidecar: egress listener must contain at least one host"),
        invalid(SIDECAR, "catch-all egress listener not last", """
            egress:
            - hosts: ["*/*"]
            - {port: {number: 80, protocol: HTTP, name: http}, hosts: ["*/*"]}
            """, "sidecar: the egress listener with empty port should be the last listener in the list"),
        invalid(SIDECAR, "bind is not an IP", """
            egress: [{port: {number: 80, protocol: HTTP, name: http}, bind: localhost, hosts: ["*/*"]}]
            """, "localhost is not a valid IP"),
        invalid(SIDECAR, "unix socket listener with iptables capture", """
            egress: [{port: {number: 0, protocol: HTTP, name: uds}, bind: "unix:///var/run/s.sock", captureMode: IPTABLES, hosts: ["*/*"]}]
            """, "sidecar: captureMode must be DEFAULT/NONE for unix domain socket listeners"),
        invalid(SIDECAR, "port 0 without unix bind", """
            egress: [{port: {number: 0, protocol: HTTP, name: uds}, hosts: ["*/*"]}]
            """, "sidecar: ports with 0 value must have a unix domain socket bind address"),
        invalid(SIDECAR, "duplicate egress ports", """
            egress:
            - {port: {number: 80, protocol: HTTP, name: a}, hosts: [ns1/*]}
            - {port: {number: 80, protocol: HTTP, name: b}, hosts: [ns2/*]}
            """, "sidecar: ports on IP bound listeners must be unique"),
        invalid(SIDECAR, "ingress without port", """
            ingress: [{defaultEndpoint: "127.0.0.1:8080"}]
            """, "sidecar: port is required for ingress listeners"),
        invalid(SIDECAR, "ingress default endpoint on another host", """
            ingress: [{port: {number: 9080, protocol: HTTP, name: http}, defaultEndpoint: "10.0.0.1:8080"}]
            """, "sidecar: defaultEndpoint must be of form 127.0.0.1:<port>,0.0.0.0:<port>,[::1]:port,[::]:port,unix://filepath or unset"),
        warns(SIDECAR, "duplicated egress host", """
            egress: [{hosts: [default/*, default/reviews.default.svc.cluster.local]}]
            """, "duplicated egress host: default/reviews.default.svc.cluster.local"),
        invalid(SIDECAR, "egress proxy without ALLOW_ANY", """
            outboundTrafficPolicy: {mode: REGISTRY_ONLY, egressProxy: {host: proxy.example.com, port: {number: 3128}}}
            """, "sidecar: egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void validate_matchesUpstreamRules(ValidationCase c) {
    c.check();
  }
}
