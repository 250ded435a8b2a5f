package dev.istiod.e2e;

import java.util.TreeMap;
import java.util.stream.Collectors;

/** Envoy bootstrap files, as YAML text: a sidecar fed by istiod over ADS, or a fixed static config. */
final class EnvoyBootstrap {
  private EnvoyBootstrap() {}

  /**
   * A sidecar bootstrap like pilot-agent's, minus what needs the agent (SDS socket, agent health, prometheus
   * listener): node identity and metadata, ADS to istiod's plaintext gRPC port over HTTP/2, CDS and LDS from ADS.
   */
  static String sidecar(SidecarNode node, AdsMode mode, int istiodGrpcPort, int adminPort) {
    return proxy(node.nodeId(), node, mode, istiodGrpcPort, adminPort);
  }

  /** The same bootstrap for a gateway proxy: node type {@code router}, as pilot-agent's {@code router} mode writes it. */
  static String gateway(SidecarNode node, AdsMode mode, int istiodGrpcPort, int adminPort) {
    return proxy(node.nodeId("router"), node, mode, istiodGrpcPort, adminPort);
  }

  private static String proxy(String nodeId, SidecarNode node, AdsMode mode, int istiodGrpcPort, int adminPort) {
    String labels = new TreeMap<>(node.labels()).entrySet().stream()
        .map(e -> "      " + quote(e.getKey()) + ": " + quote(e.getValue()))
        .collect(Collectors.joining("\n"));
    return """
        node:
          id: %s
          cluster: %s
          metadata:
            NAMESPACE: %s
            NAME: %s
            WORKLOAD_NAME: %s
            INTERCEPTION_MODE: NONE
            INSTANCE_IPS: %s
            ISTIO_VERSION: %s
            CLUSTER_ID: Kubernetes
            MESH_ID: cluster.local
            SERVICE_ACCOUNT: default
            LABELS:
        %s
        dynamic_resources:
          ads_config:
            api_type: %s
            transport_api_version: V3
            set_node_on_first_message_only: true
            grpc_services:
            - envoy_grpc:
                cluster_name: xds-grpc
          cds_config:
            ads: {}
            resource_api_version: V3
          lds_config:
            ads: {}
            resource_api_version: V3
        static_resources:
          clusters:
          - name: xds-grpc
            type: STATIC
            connect_timeout: 1s
            typed_extension_protocol_options:
              envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
                "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
                explicit_http_config:
                  http2_protocol_options: {}
            load_assignment:
              cluster_name: xds-grpc
              endpoints:
              - lb_endpoints:
                - endpoint:
                    address:
                      socket_address: {address: 127.0.0.1, port_value: %d}
        %s
        """.formatted(
            quote(nodeId), quote(node.workloadName() + "." + node.namespace()),
            quote(node.namespace()), quote(node.podName()), quote(node.workloadName()), quote(node.ip()),
            quote(node.istioVersion()), labels,
            mode.envoyApiType(), istiodGrpcPort, admin(adminPort));
  }

  /** A static Envoy: one HTTP listener on 127.0.0.1:listenerPort routing everything to one upstream address. */
  static String staticProxy(int listenerPort, String upstreamAddress, int upstreamPort, int adminPort) {
    return """
        node:
          id: static-proxy
          cluster: static-proxy
        static_resources:
          listeners:
          - name: ingress
            address:
              socket_address: {address: 127.0.0.1, port_value: %d}
            filter_chains:
            - filters:
              - name: envoy.filters.network.http_connection_manager
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                  stat_prefix: ingress
                  route_config:
                    name: local
                    virtual_hosts:
                    - name: backend
                      domains: ["*"]
                      routes:
                      - match: {prefix: "/"}
                        route: {cluster: backend}
                  http_filters:
                  - name: envoy.filters.http.router
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
          clusters:
          - name: backend
            type: STATIC
            connect_timeout: 1s
            load_assignment:
              cluster_name: backend
              endpoints:
              - lb_endpoints:
                - endpoint:
                    address:
                      socket_address: {address: %s, port_value: %d}
        %s
        """.formatted(listenerPort, upstreamAddress, upstreamPort, admin(adminPort));
  }

  private static String admin(int adminPort) {
    return """
        admin:
          address:
            socket_address: {address: 127.0.0.1, port_value: %d}
        """.formatted(adminPort);
  }

  /** A YAML double-quoted scalar; our values are plain ASCII without quotes or backslashes. */
  private static String quote(String value) {
    if (value.contains("\"") || value.contains("\\")) {
      throw new IllegalArgumentException("unexpected character in " + value);
    }
    return '"' + value + '"';
  }
}
