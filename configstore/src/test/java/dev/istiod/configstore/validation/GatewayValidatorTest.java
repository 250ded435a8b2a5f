package dev.istiod.configstore.validation;

import static dev.istiod.configstore.validation.ValidationCase.invalid;
import static dev.istiod.configstore.validation.ValidationCase.valid;
import static dev.istiod.configstore.validation.ValidationCase.warns;
import static dev.istiod.model.Kind.GATEWAY;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class GatewayValidatorTest {
  static Stream<ValidationCase> cases() {
    return Stream.of(
        valid(GATEWAY, "http and https servers", """
            selector: {istio: ingressgateway}
            servers:
            - {port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"], tls: {httpsRedirect: true}}
            - port: {number: 443, name: https, protocol: HTTPS}
              hosts: [bookinfo/reviews.example.com, "*/ratings.example.com"]
              tls: {mode: SIMPLE, credentialName: bookinfo-cert}
            """),
        invalid(GATEWAY, "no servers", """
            selector: {istio: ingressgateway}
            """, "gateway must have at least one server"),
        invalid(GATEWAY, "server without hosts", """
            servers: [{port: {number: 80, name: http, protocol: HTTP}}]
            """, "server config must contain at least one host"),
        invalid(GATEWAY, "bad port number and protocol", """
            servers: [{port: {number: 70000, name: web, protocol: FTP}, hosts: ["*"]}]
            """, "invalid protocol \"FTP\", supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP",
            "port number 70000 must be in the range 1..65535"),
        invalid(GATEWAY, "port without name", """
            servers: [{port: {number: 80, protocol: HTTP}, hosts: ["*"]}]
            """, "port name must be set: number:80 protocol:\"HTTP\""),
        invalid(GATEWAY, "duplicate port names", """
            servers:
            - {port: {number: 80, name: web, protocol: HTTP}, hosts: [a.example.com]}
            - {port: {number: 81, name: web, protocol: HTTP}, hosts: [b.example.com]}
            """, "port names in servers must be unique: duplicate name web"),
        invalid(GATEWAY, "host with invalid namespace", """
            servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["Bad_NS/foo.example.com"]}]
            """, "invalid namespace value \"Bad_NS\" in gateway"),
        invalid(GATEWAY, "short host name", """
            servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [ns/reviews]}]
            """, "short names (non FQDN) are not allowed"),
        invalid(GATEWAY, "partial wildcard host", """
            servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["ns/foo*.example.com"]}]
            """, "domain name \"foo*.example.com\" invalid (label \"foo*\" invalid)",
            "partial wildcard \"foo*.example.com\" not allowed"),
        invalid(GATEWAY, "https without tls", """
            servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ["*"]}]
            """, "server must have TLS settings for HTTPS/TLS protocols"),
        invalid(GATEWAY, "tls on a tcp port", """
            servers: [{port: {number: 31400, name: tcp, protocol: TCP}, hosts: ["*"], tls: {mode: SIMPLE, credentialName: c}}]
            """, "server cannot have TLS settings for non HTTPS/TLS ports"),
        invalid(GATEWAY, "simple tls without certificate", """
            servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ["*"], tls: {mode: SIMPLE}}]
            """, "SIMPLE TLS requires a server certificate", "SIMPLE TLS requires a private key"),
        invalid(GATEWAY, "istio mutual with a certificate", """
            servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ["*"], tls: {mode: ISTIO_MUTUAL, credentialName: c}}]
            """, "ISTIO_MUTUAL TLS cannot have associated credentialName"),
        invalid(GATEWAY, "two certificate sources", """
            servers:
            - port: {number: 443, name: https, protocol: HTTPS}
              hosts: ["*"]
              tls: {mode: MUTUAL, credentialName: c, serverCertificate: /c.pem, privateKey: /k.pem, caCertificates: /ca.pem}
            """, "only one of credential_name, credential_names, server_certificate/private_key, tls_certificates should be specified"),
        warns(GATEWAY, "httpsRedirect on a non-http server", """
            servers:
            - {port: {number: 443, name: https, protocol: HTTPS}, hosts: ["*"], tls: {mode: PASSTHROUGH, httpsRedirect: true}}
            """, "tls.httpsRedirect should only be used with http servers"),
        invalid(GATEWAY, "bind is not an IP", """
            servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"], bind: localhost}]
            """, "localhost is not a valid IP"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void validate_matchesUpstreamRules(ValidationCase c) {
    c.check();
  }
}
