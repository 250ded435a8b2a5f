package dev.istiod.e2e;

/**
 * The Istio YAML of the scenarios: service "reviews" in namespace default, v1 on 127.0.0.2 and v2 on 127.0.0.3,
 * plus "ratings" on 127.0.0.4, reached through a Sidecar egress listener on 127.0.0.1 with no capture.
 *
 * <p>The service port and the egress listener port are the same number on purpose: for an egress listener with
 * an explicit port, Istio builds virtual hosts only for service ports equal to the listener port
 * (pilot/pkg/networking/core/httproute.go, BuildSidecarOutboundVirtualHosts). The backends listen on it too.
 */
final class ReviewsYaml {
  static final String HOST = "reviews.default.svc.cluster.local";
  static final String RATINGS_HOST = "ratings.default.svc.cluster.local";

  private ReviewsYaml() {}

  static String serviceEntryAndDestinationRule(int port) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: reviews
          namespace: default
        spec:
          hosts:
          - %s
          location: MESH_INTERNAL
          resolution: STATIC
          ports:
          - number: %d
            name: http
            protocol: HTTP
          endpoints:
          - address: 127.0.0.2
            labels:
              app: reviews
              version: v1
          - address: 127.0.0.3
            labels:
              app: reviews
              version: v2
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: reviews
          namespace: default
        spec:
          host: %s
          subsets:
          - name: v1
            labels:
              version: v1
          - name: v2
            labels:
              version: v2
        """.formatted(HOST, port, HOST);
  }

  static String sidecar(int port) {
    return """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata:
          name: default
          namespace: default
        spec:
          egress:
          - port:
              number: %d
              protocol: HTTP
              name: http-egress
            bind: 127.0.0.1
            captureMode: NONE
            hosts:
            - "./*"
        """.formatted(port);
  }

  /** Requests with {@code end-user: jason} go to v2, all others to v1 (Istio's bookinfo rule). */
  static String virtualServiceJasonToV2() {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
          namespace: default
        spec:
          hosts:
          - %s
          http:
          - match:
            - headers:
                end-user:
                  exact: jason
            route:
            - destination:
                host: %s
                subset: v2
          - route:
            - destination:
                host: %s
                subset: v1
        """.formatted(HOST, HOST, HOST);
  }

  static String virtualServiceAllTo(String subset) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
          namespace: default
        spec:
          hosts:
          - %s
          http:
          - route:
            - destination:
                host: %s
                subset: %s
        """.formatted(HOST, HOST, subset);
  }

  /** Weighted split between v1 and v2; weights are relative, and an all-zero split is invalid. */
  static String virtualServiceWeighted(String name, int v1Weight, int v2Weight) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: %s
          namespace: default
        spec:
          hosts:
          - %s
          http:
          - route:
            - destination:
                host: %s
                subset: v1
              weight: %d
            - destination:
                host: %s
                subset: v2
              weight: %d
        """.formatted(name, HOST, HOST, v1Weight, HOST, v2Weight);
  }

  /** A VirtualService whose header regex does not compile (unbalanced parenthesis). */
  static String virtualServiceBadRegex(String name) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: %s
          namespace: default
        spec:
          hosts:
          - %s
          http:
          - match:
            - headers:
                end-user:
                  regex: "jas(on"
            route:
            - destination:
                host: %s
                subset: v1
        """.formatted(name, HOST, HOST);
  }

  static String ratingsServiceEntry(int port) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: ratings
          namespace: default
        spec:
          hosts:
          - %s
          location: MESH_INTERNAL
          resolution: STATIC
          ports:
          - number: %d
            name: http
            protocol: HTTP
          endpoints:
          - address: 127.0.0.4
            labels:
              app: ratings
        """.formatted(RATINGS_HOST, port);
  }

  /** Not YAML: an unterminated flow mapping. */
  static String malformedYaml() {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: broken, namespace: default
        spec:
          hosts: [reviews
        """;
  }

  static String unknownKind() {
    return """
        apiVersion: example.com/v1
        kind: Frobnicator
        metadata:
          name: frob-1
          namespace: default
        spec:
          level: 11
        """;
  }
}
