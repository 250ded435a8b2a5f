package dev.istiod.configstore.validation;

import static dev.istiod.configstore.validation.ValidationCase.invalid;
import static dev.istiod.configstore.validation.ValidationCase.valid;
import static dev.istiod.configstore.validation.ValidationCase.warns;
import static dev.istiod.model.Kind.SERVICE_ENTRY;
import static dev.istiod.model.Kind.WORKLOAD_ENTRY;
import static dev.istiod.model.Kind.WORKLOAD_GROUP;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** ServiceEntry, and the workload kinds whose rules it shares. */
class ServiceEntryValidatorTest {
  static Stream<ValidationCase> cases() {
    return Stream.of(
        valid(SERVICE_ENTRY, "static endpoints", """
            hosts: [reviews.mesh.internal]
            addresses: [240.0.0.1]
            ports: [{number: 9080, name: http, protocol: HTTP}]
            location: MESH_INTERNAL
            resolution: STATIC
            endpoints:
            - {address: 10.0.0.1, labels: {version: v1}}
            - {address: 10.0.0.2, labels: {version: v2}, ports: {http: 19080}}
            """),
        valid(SERVICE_ENTRY, "static with no endpoints (upstream allows it since 1.5)", """
            hosts: [reviews.mesh.internal]
            ports: [{number: 9080, name: http, protocol: HTTP}]
            resolution: STATIC
            """),
        valid(SERVICE_ENTRY, "dns resolution of an external host", """
            hosts: [api.example.com]
            ports: [{number: 443, name: https, protocol: TLS}]
            resolution: DNS
            """),
        invalid(SERVICE_ENTRY, "no hosts", """
            ports: [{number: 80, name: http, protocol: HTTP}]
            resolution: DNS
            """, "service entry must have at least one host"),
        invalid(SERVICE_ENTRY, "host *", """
            hosts: ["*"]
            ports: [{number: 80, name: http, protocol: HTTP}]
            """, "invalid host *"),
        invalid(SERVICE_ENTRY, "duplicate ports", """
            hosts: [a.example.com]
            ports: [{number: 80, name: http, protocol: HTTP}, {number: 80, name: http, protocol: HTTP}]
            resolution: DNS
            """, "service entry port name \"http\" already defined", "service entry port 80 already defined"),
        invalid(SERVICE_ENTRY, "bad port", """
            hosts: [a.example.com]
            ports: [{number: 0, name: web_1, protocol: FTP}]
            resolution: DNS
            """, "invalid port name: web_1", "unsupported protocol: FTP", "port number 0 must be in the range 1..65535"),
        invalid(SERVICE_ENTRY, "endpoints with resolution NONE", """
            hosts: [a.example.com]
            addresses: [10.1.0.0/16]
            ports: [{number: 80, name: http, protocol: HTTP}]
            resolution: NONE
            endpoints: [{address: 10.1.0.1}]
            """, "no endpoints should be provided for resolution type none"),
        invalid(SERVICE_ENTRY, "workloadSelector and endpoints together", """
            hosts: [a.mesh.internal]
            ports: [{number: 80, name: http, protocol: HTTP}]
            resolution: STATIC
            workloadSelector: {labels: {app: a}}
            endpoints: [{address: 10.1.0.1}]
            """, "only one of WorkloadSelector or Endpoints is allowed in Service Entry"),
        invalid(SERVICE_ENTRY, "static endpoint that is a DNS name", """
            hosts: [a.mesh.internal]
            ports: [{number: 80, name: http, protocol: HTTP}]
            resolution: STATIC
            endpoints: [{address: a.example.com}]
            """, "endpoint address \"a.example.com\" is not a valid IP address"),
        invalid(SERVICE_ENTRY, "endpoint port the service does not have", """
            hosts: [a.mesh.internal]
            ports: [{number: 80, name: http, protocol: HTTP}]
            resolution: STATIC
            endpoints: [{address: 10.0.0.1, ports: {grpc: 9090}}]
            """, "endpoint port 9090 is not defined by the service entry"),
        invalid(SERVICE_ENTRY, "wildcard host resolved by DNS", """
            hosts: ["*.example.com"]
            ports: [{number: 443, name: tls, protocol: TLS}]
            resolution: DNS
            """, "hosts must be FQDN or contain only prefix wildcards if no endpoints are provided for resolution "
            + "mode DNS, domain name \"*.example.com\" invalid (label \"*\" invalid)"),
        invalid(SERVICE_ENTRY, "CIDR with DNS resolution", """
            hosts: [a.example.com]
            addresses: [10.0.0.0/8]
            ports: [{number: 80, name: http, protocol: HTTP}]
            resolution: DNS
            """, "CIDR addresses are allowed only for NONE/STATIC resolution types"),
        invalid(SERVICE_ENTRY, "several hosts on a plain TCP port", """
            hosts: [a.example.com, b.example.com]
            ports: [{number: 3306, name: tcp, protocol: TCP}]
            resolution: DNS
            """, "multiple hosts provided with non-HTTP, non-TLS ports"),
        invalid(SERVICE_ENTRY, "round robin with several endpoints", """
            hosts: [a.example.com]
            ports: [{number: 80, name: http, protocol: HTTP}]
            resolution: DNS_ROUND_ROBIN
            endpoints: [{address: a1.example.com}, {address: a2.example.com}]
            """, "there must only be 0 or 1 endpoint for resolution mode DNS_ROUND_ROBIN"),
        warns(SERVICE_ENTRY, "tcp port without address or allocation", """
            hosts: [db.example.com]
            ports: [{number: 5432, name: tcp, protocol: TCP}]
            resolution: NONE
            """, "addresses are required for ports serving TCP (or unset) protocol when IP Autoallocation is not enabled"),
        valid(WORKLOAD_ENTRY, "vm workload", """
            address: 10.0.0.7
            labels: {app: reviews, version: v3}
            ports: {http: 9080}
            serviceAccount: reviews
            """),
        valid(WORKLOAD_ENTRY, "dns address", """
            address: vm1.example.com
            """),
        invalid(WORKLOAD_ENTRY, "no address and no network", """
            labels: {app: reviews}
            """, "address is required"),
        warns(WORKLOAD_ENTRY, "no address on a network", """
            network: vpc-2
            """, "address is unset with network \"vpc-2\""),
        invalid(WORKLOAD_ENTRY, "bad labels and port", """
            address: 10.0.0.7
            labels: {"bad key!": x}
            ports: {http: 70000}
            """, "invalid tag key: \"bad key!\"", "port number 70000 must be in the range 1..65535"),
        invalid(WORKLOAD_ENTRY, "unix address with ports", """
            address: unix:///var/run/app.sock
            ports: {http: 80}
            """, "unix endpoint unix:///var/run/app.sock must not include ports"),
        valid(WORKLOAD_GROUP, "template and probe", """
            metadata: {labels: {app: reviews}}
            template: {serviceAccount: reviews}
            probe: {httpGet: {port: 8080, path: /ready}, periodSeconds: 5}
            """),
        invalid(WORKLOAD_GROUP, "no template", """
            metadata: {labels: {app: reviews}}
            """, "template is required"),
        invalid(WORKLOAD_GROUP, "negative probe period", """
            template: {}
            probe: {tcpSocket: {port: 80}, periodSeconds: -1}
            """, "periodSeconds must be non-negative"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void validate_matchesUpstreamRules(ValidationCase c) {
    c.check();
  }
}
