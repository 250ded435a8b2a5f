package dev.istiod.configstore.validation;

import static dev.istiod.configstore.validation.ValidationCase.invalid;
import static dev.istiod.configstore.validation.ValidationCase.valid;
import static dev.istiod.configstore.validation.ValidationCase.warns;
import static dev.istiod.model.Kind.DESTINATION_RULE;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class DestinationRuleValidatorTest {
  static Stream<ValidationCase> cases() {
    return Stream.of(
        valid(DESTINATION_RULE, "subsets with policies", """
            host: reviews.default.svc.cluster.local
            trafficPolicy:
              loadBalancer: {simple: LEAST_REQUEST}
              connectionPool: {tcp: {maxConnections: 100, connectTimeout: 30ms}, http: {http2MaxRequests: 1000}}
              outlierDetection: {consecutive5xxErrors: 7, interval: 5m, baseEjectionTime: 15m}
              tls: {mode: ISTIO_MUTUAL}
            subsets:
            - {name: v1, labels: {version: v1}}
            - {name: v2, labels: {version: v2}, trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}}
            """),
        invalid(DESTINATION_RULE, "missing host", """
            subsets: [{name: v1, labels: {version: v1}}]
            """, "empty domain name not allowed"),
        invalid(DESTINATION_RULE, "subset without name", """
            host: reviews
            subsets: [{labels: {version: v1}}]
            """, "subset name cannot be empty"),
        invalid(DESTINATION_RULE, "duplicate subset names", """
            host: reviews
            subsets: [{name: v1, labels: {version: v1}}, {name: v1, labels: {version: v2}}]
            """, "duplicate subset names: v1"),
        invalid(DESTINATION_RULE, "bad subset label value", """
            host: reviews
            subsets: [{name: v1, labels: {version: "v 1"}}]
            """, "invalid tag value: \"v 1\""),
        invalid(DESTINATION_RULE, "empty traffic policy", """
            host: reviews
            trafficPolicy: {}
            """, "traffic policy must have at least one field"),
        invalid(DESTINATION_RULE, "empty connection pool", """
            host: reviews
            trafficPolicy: {connectionPool: {}}
            """, "connection pool must have at least one field"),
        invalid(DESTINATION_RULE, "negative pool limits", """
            host: reviews
            trafficPolicy: {connectionPool: {tcp: {maxConnections: -1}, http: {maxRetries: -2}}}
            """, "max connections must be non-negative", "max retries must be non-negative"),
        invalid(DESTINATION_RULE, "outlier detection out of range", """
            host: reviews
            trafficPolicy: {outlierDetection: {maxEjectionPercent: 150, interval: 0.5ms}}
            """, "percentage 150 is not in range 0..100", "duration must be greater than 1ms"),
        warns(DESTINATION_RULE, "deprecated consecutiveErrors", """
            host: reviews
            trafficPolicy: {outlierDetection: {consecutiveErrors: 5}}
            """, "outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead"),
        invalid(DESTINATION_RULE, "cookie hash without name", """
            host: reviews
            trafficPolicy: {loadBalancer: {consistentHash: {httpCookie: {ttl: 10s}}}}
            """, "name required for HttpCookie"),
        invalid(DESTINATION_RULE, "maglev table size not prime", """
            host: reviews
            trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, maglev: {tableSize: 1000}}}}
            """, "tableSize must be a prime number for maglev"),
        invalid(DESTINATION_RULE, "locality weights not summing to 100", """
            host: reviews
            trafficPolicy:
              loadBalancer: {localityLbSetting: {distribute: [{from: us-west/zone1/*, to: {"us-west/zone1/*": 60, "us-west/zone2/*": 30}}]}}
            """, "total locality weight 90 != 100"),
        invalid(DESTINATION_RULE, "mutual TLS without client certificate", """
            host: reviews
            trafficPolicy: {tls: {mode: MUTUAL, caCertificates: /etc/ca.pem}}
            """, "client certificate required for mutual tls", "private key required for mutual tls"),
        invalid(DESTINATION_RULE, "credentialName with inline files", """
            host: reviews
            trafficPolicy: {tls: {mode: SIMPLE, credentialName: creds, caCertificates: /etc/ca.pem}}
            """, "cannot specify client certificates or CA certificate or CA CRL If credentialName is set"),
        invalid(DESTINATION_RULE, "port policy without port", """
            host: reviews
            trafficPolicy: {portLevelSettings: [{loadBalancer: {simple: RANDOM}}]}
            """, "portTrafficPolicy must have valid port"),
        invalid(DESTINATION_RULE, "selector rule exported elsewhere", """
            host: reviews
            workloadSelector: {matchLabels: {app: reviews}}
            exportTo: [other]
            """, "destination rule with workload selector cannot have exportTo beyond current namespace"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void validate_matchesUpstreamRules(ValidationCase c) {
    c.check();
  }
}
