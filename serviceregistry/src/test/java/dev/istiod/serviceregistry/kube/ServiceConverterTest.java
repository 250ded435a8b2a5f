package dev.istiod.serviceregistry.kube;

import static dev.istiod.serviceregistry.kube.KubeObjects.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.Kind;
import dev.istiod.model.Protocol;
import dev.istiod.model.Resolution;
import dev.istiod.model.Service;
import dev.istiod.model.ServicePort;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ServiceConverterTest {
  private final ServiceConverter converter = new ServiceConverter("cluster.local", MeshConfig::getDefaultInstance);

  private KubeService convert(String yaml) {
    return converter.convert(service(yaml)).orElseThrow();
  }

  @Test
  void clusterIp_becomesClientSideLbServiceWithVipHostnameLabelsAndOrigin() {
    KubeService svc = convert("""
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: bookinfo, labels: {app: reviews}}
        spec:
          clusterIP: 10.96.0.10
          selector: {app: reviews}
          ports:
          - {name: http, port: 9080, targetPort: 9080}
        """);
    Service s = svc.service();
    assertThat(s.hostname()).isEqualTo("reviews.bookinfo.svc.cluster.local");
    assertThat(s.namespace()).isEqualTo("bookinfo");
    assertThat(s.addresses()).containsExactly("10.96.0.10");
    assertThat(s.resolution()).isEqualTo(Resolution.CLIENT_SIDE_LB);
    assertThat(s.meshExternal()).isFalse();
    assertThat(s.labels()).containsEntry("app", "reviews");
    assertThat(s.registry()).isEqualTo(Service.Registry.KUBERNETES);
    assertThat(s.origin()).isEqualTo(new ConfigKey(Kind.SERVICE, "bookinfo", "reviews"));
    assertThat(s.ports()).containsExactly(new ServicePort("http", 9080, Protocol.HTTP, 9080));
    assertThat(svc.selector()).containsEntry("app", "reviews");
  }

  @Test
  void dualStack_keepsEveryClusterIp() {
    KubeService svc = convert("""
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: default}
        spec:
          clusterIP: 10.96.0.20
          clusterIPs: [10.96.0.20, "fd00::20"]
          ports: [{name: http, port: 80}]
        """);
    assertThat(svc.service().addresses()).containsExactly("10.96.0.20", "fd00::20");
  }

  @Test
  void headless_isPassthroughWithoutVip() {
    KubeService svc = convert("""
        apiVersion: v1
        kind: Service
        metadata: {name: db, namespace: default}
        spec:
          clusterIP: None
          selector: {app: db}
          ports: [{name: tcp-db, port: 5432}]
        """);
    assertThat(svc.service().resolution()).isEqualTo(Resolution.PASSTHROUGH);
    assertThat(svc.service().addresses()).isEmpty();
    assertThat(svc.isHeadless()).isTrue();
  }

  @Test
  void externalName_isMeshExternalDnsServiceWithoutVip() {
    KubeService svc = convert("""
        apiVersion: v1
        kind: Service
        metadata: {name: search, namespace: default}
        spec:
          type: ExternalName
          externalName: search.example.com
          ports: [{name: https, port: 443}]
        """);
    assertThat(svc.service().resolution()).isEqualTo(Resolution.DNS_LB);
    assertThat(svc.service().meshExternal()).isTrue();
    assertThat(svc.service().addresses()).isEmpty();
    assertThat(svc.externalName()).isEqualTo("search.example.com");
  }

  @Test
  void nodePortAndLoadBalancer_keepTheirPorts() {
    KubeService svc = convert("""
        apiVersion: v1
        kind: Service
        metadata: {name: ingress, namespace: istio-system}
        spec:
          type: LoadBalancer
          clusterIP: 10.96.1.1
          ports:
          - {name: http2, port: 80, targetPort: 8080, nodePort: 31380}
          - {name: https, port: 443, targetPort: 8443, nodePort: 31390}
        status:
          loadBalancer: {ingress: [{ip: 203.0.113.7}]}
        """);
    assertThat(svc.service().ports()).extracting(ServicePort::port).containsExactly(80, 443);
    assertThat(svc.service().ports()).extracting(ServicePort::targetPort).containsExactly(8080, 8443);
    assertThat(svc.type()).isEqualTo("LoadBalancer");
  }

  @Test
  void namedTargetPort_isKeptForPerPodResolution() {
    KubeService svc = convert("""
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: default}
        spec:
          clusterIP: 10.96.0.30
          ports: [{name: http, port: 80, targetPort: http-web}]
        """);
    KubeService.PortSpec port = svc.ports().get(0);
    assertThat(port.targetPortName()).isEqualTo("http-web");
    assertThat(port.targetPortNumber()).isZero();
    assertThat(port.model().targetPort()).isZero();
  }

  @Test
  void exportToAnnotation_setsVisibility() {
    KubeService svc = convert("""
        apiVersion: v1
        kind: Service
        metadata:
          name: private
          namespace: team-a
          annotations: {networking.istio.io/exportTo: ". , team-b"}
        spec:
          clusterIP: 10.96.0.40
          ports: [{name: http, port: 80}]
        """);
    assertThat(svc.service().visibility().exportTo()).isEqualTo(Set.of(".", "team-b"));
    assertThat(svc.service().visibility().visibleTo("team-a", "team-c")).isFalse();
  }

  @Test
  void withoutExportTo_usesMeshDefault() {
    ServiceConverter meshScoped = new ServiceConverter("cluster.local",
        () -> MeshConfig.newBuilder().addDefaultServiceExportTo(".").build());
    KubeService svc = meshScoped.convert(service("""
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: default}
        spec: {clusterIP: 10.96.0.50, ports: [{name: http, port: 80}]}
        """)).orElseThrow();
    assertThat(svc.service().visibility().exportTo()).containsExactly(".");
  }

  @Test
  void serviceWithoutPorts_isSkipped() {
    assertThat(converter.convert(service("""
        apiVersion: v1
        kind: Service
        metadata: {name: empty, namespace: default}
        spec: {clusterIP: None, selector: {app: x}}
        """))).isEmpty();
  }

  @Test
  void customDomainSuffix_isUsedInHostnames() {
    ServiceConverter custom = new ServiceConverter("example.internal", MeshConfig::getDefaultInstance);
    assertThat(custom.hostname("web", "prod")).isEqualTo("web.prod.svc.example.internal");
  }

  @ParameterizedTest(name = "{1} appProtocol={3} on {0}/{2} -> {4}")
  @CsvSource(nullValues = "null", value = {
      "8080, http-web, TCP, null, HTTP",
      "8080, grpc, TCP, null, GRPC",
      "8080, grpc-web-ui, TCP, null, GRPC_WEB",
      "8080, web, TCP, null, UNSUPPORTED",
      "8080, '', TCP, null, UNSUPPORTED",
      "8080, tcp-x, TCP, http, HTTP",
      "8080, http, TCP, grpc, GRPC",
      "8080, http, TCP, foo, UNSUPPORTED",
      "8080, web, TCP, kubernetes.io/h2c, HTTP2",
      "8080, web, TCP, kubernetes.io/ws, HTTP",
      "8080, web, TCP, kubernetes.io/wss, HTTPS",
      "8080, http, UDP, http, UDP",
      "3306, db, TCP, null, TCP",
      "53, dns, TCP, null, TCP",
      "8080, HTTPS-admin, TCP, null, HTTPS",
      "8080, mongo, TCP, null, MONGO",
  })
  void protocol_fromAppProtocolFirstThenPortName(int port, String name, String transport, String appProtocol,
      Protocol expected) {
    assertThat(ServiceConverter.protocol(port, name, transport, appProtocol)).isEqualTo(expected);
  }
}
