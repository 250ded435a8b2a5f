package dev.istiod.e2e.kube;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The Kubernetes and Istio manifests the tests apply with kubectl. A Service "reviews" (v1, v2 ...) on port P
 * is reached by the client sidecar through a Sidecar egress listener on 127.0.0.1:P (no traffic capture), so the
 * service port, the listener port and the workloads' port are the same number.
 */
final class KubeYaml {
  private KubeYaml() {}

  static String host(String service, String namespace) {
    return service + "." + namespace + ".svc.cluster.local";
  }

  static String namespace(String name) {
    return """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: %s
        """.formatted(name);
  }

  /** A Node for Pods on a test host to be scheduled on, with locality labels. */
  static String node(String name) {
    return """
        apiVersion: v1
        kind: Node
        metadata:
          name: %s
          labels:
            topology.kubernetes.io/region: test-region
            topology.kubernetes.io/zone: test-zone
        """.formatted(name);
  }

  /** A ClusterIP Service on port {@code port} (HTTP, named "http"); without a selector when {@code app} is null. */
  static String service(String name, String namespace, String app, int port) {
    String selector = app == null ? "" : """
          selector:
            app: %s
        """.formatted(app);
    return """
        apiVersion: v1
        kind: Service
        metadata:
          name: %s
          namespace: %s
        spec:
        %s  ports:
          - name: http
            port: %d
            targetPort: %d
        """.formatted(name, namespace, selector, port, port);
  }

  /** A Pod bound to {@code node}; it never runs (no kubelet): its status is patched with {@link #runningStatus}. */
  static String pod(String name, String namespace, String node, Map<String, String> labels, String serviceAccount,
      int port) {
    return """
        apiVersion: v1
        kind: Pod
        metadata:
          name: %s
          namespace: %s
          labels:
        %s
        spec:
          nodeName: %s
          serviceAccountName: %s
          containers:
          - name: app
            image: app:never-pulled
            ports:
            - containerPort: %d
              name: http
        """.formatted(name, namespace, indentedMap(labels, "    "), node, serviceAccount, port);
  }

  /** Like {@link #pod(String, String, String, Map, String, int)}, with {@code annotations}. */
  static String pod(String name, String namespace, String node, Map<String, String> labels,
      Map<String, String> annotations, String serviceAccount, int port) {
    String pod = pod(name, namespace, node, labels, serviceAccount, port);
    return annotations.isEmpty() ? pod : pod.replaceFirst("\n  labels:\n",
        "\n  annotations:\n" + indentedMap(annotations, "    ") + "\n  labels:\n");
  }

  /** What a kubelet would report for a ready Pod at {@code ip}: a merge patch for the status subresource. */
  static String runningStatus(String ip) {
    return """
        {"status":{"phase":"Running","podIP":"%1$s","podIPs":[{"ip":"%1$s"}],
         "conditions":[{"type":"Ready","status":"True"},{"type":"ContainersReady","status":"True"}]}}"""
        .formatted(ip);
  }

  /** An EndpointSlice for a selector-less Service, written by the test (managed-by: the test, not the controller). */
  static String endpointSlice(String name, String namespace, String service, int port, List<String> readyIps) {
    String endpoints = readyIps.isEmpty() ? "endpoints: []\n" : "endpoints:\n" + readyIps.stream()
        .map(ip -> "- addresses: [\"%s\"]\n  conditions: {ready: true, serving: true, terminating: false}\n"
            .formatted(ip))
        .collect(Collectors.joining());
    return """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: %s
          namespace: %s
          labels:
            kubernetes.io/service-name: %s
            endpointslice.kubernetes.io/managed-by: e2e-test
        addressType: IPv4
        ports:
        - name: http
          port: %d
          protocol: TCP
        %s""".formatted(name, namespace, service, port, endpoints);
  }

  /** The namespace's default Sidecar: an HTTP egress listener on 127.0.0.1:port for every service in the mesh. */
  static String sidecar(String namespace, int port) {
    return """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata:
          name: default
          namespace: %s
        spec:
          egress:
          - port:
              number: %d
              protocol: HTTP
              name: http-egress
            bind: 127.0.0.1
            captureMode: NONE
            hosts:
            - "*/*"
        """.formatted(namespace, port);
  }

  /** Subsets v1, v2 and v3 of {@code host}, by the Pods' {@code version} label. */
  static String destinationRule(String name, String namespace, String host) {
    return destinationRule(name, namespace, host, Map.of("v1", "v1", "v2", "v2", "v3", "v3"));
  }

  /** Subsets named by the keys, each selecting {@code version: <value>}. */
  static String destinationRule(String name, String namespace, String host, Map<String, String> subsetVersions) {
    String subsets = new TreeMap<>(subsetVersions).entrySet().stream()
        .map(e -> "  - name: %s\n    labels:\n      version: %s\n".formatted(e.getKey(), e.getValue()))
        .collect(Collectors.joining());
    return """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: %s
          namespace: %s
        spec:
          host: %s
          subsets:
        %s""".formatted(name, namespace, host, subsets);
  }

  /** Every request for {@code host} to one subset. */
  static String virtualServiceTo(String name, String namespace, String host, String subset) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: %s
          namespace: %s
        spec:
          hosts:
          - %s
          http:
          - route:
            - destination:
                host: %s
                subset: %s
        """.formatted(name, namespace, host, host, subset);
  }

  /** A VirtualService the CRD schema accepts but Istio's validation rejects: a regex RE2 cannot compile. */
  static String virtualServiceWithBadRegex(String name, String namespace, String host) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: %s
          namespace: %s
        spec:
          hosts:
          - %s
          http:
          - match:
            - uri:
                regex: "([unclosed"
            route:
            - destination:
                host: %s
        """.formatted(name, namespace, host, host);
  }

  /** A mesh-internal ServiceEntry for {@code host} on {@code port} with STATIC endpoints. */
  static String serviceEntry(String name, String namespace, String host, int port, List<String> addresses) {
    String endpoints = addresses.stream().map(a -> "  - address: " + a + "\n").collect(Collectors.joining());
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: %s
          namespace: %s
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
        %s""".formatted(name, namespace, host, port, endpoints);
  }

  private static String indentedMap(Map<String, String> map, String indent) {
    return new TreeMap<>(map).entrySet().stream()
        .map(e -> indent + e.getKey() + ": \"" + e.getValue() + "\"")
        .collect(Collectors.joining("\n"));
  }
}
