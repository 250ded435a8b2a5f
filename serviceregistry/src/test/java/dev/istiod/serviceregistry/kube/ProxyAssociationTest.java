package dev.istiod.serviceregistry.kube;

import static dev.istiod.serviceregistry.kube.KubeObjects.pod;
import static dev.istiod.serviceregistry.kube.KubeObjects.service;
import static dev.istiod.serviceregistry.kube.KubeObjects.sidecar;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.istiod.model.EndpointIndex;
import dev.istiod.model.NodeMetadata;
import dev.istiod.model.NodeType;
import dev.istiod.model.Protocol;
import dev.istiod.model.Proxy;
import dev.istiod.model.ServiceTarget;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A connecting proxy is matched to its Pod, and through it to the Service ports it implements. */
class ProxyAssociationTest {
  private KubeController controller;

  @BeforeEach
  void cluster() {
    controller = new KubeController(new EndpointIndex(), p -> { }, KubeServiceRegistry.Options.defaults());
    controller.sync(List.of(), List.of(), List.of(), List.of(), List.of());
    apply(pod("default", "reviews-1", List.of("10.0.0.1"), "reviews", "node-a", "app=reviews", "version=v1"));
    apply(service("""
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: default}
        spec:
          clusterIP: 10.96.0.10
          selector: {app: reviews}
          ports:
          - {name: http, port: 9080, targetPort: http-web}
          - {name: http-alt, port: 80, targetPort: http-web}
          - {name: grpc, port: 9090, targetPort: 9091}
          - {name: tcp-missing, port: 7000, targetPort: nowhere}
        """));
    apply(service("""
        apiVersion: v1
        kind: Service
        metadata: {name: other, namespace: default}
        spec: {clusterIP: 10.96.0.11, selector: {app: other}, ports: [{name: http, port: 80}]}
        """));
    apply(service("""
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: elsewhere}
        spec: {clusterIP: 10.96.0.12, selector: {app: reviews}, ports: [{name: http, port: 80}]}
        """));
  }

  private void apply(Pod p) {
    controller.applyPod(ObjectName.of(p), p);
  }

  private void apply(io.fabric8.kubernetes.api.model.Service s) {
    controller.applyService(ObjectName.of(s), s);
  }

  @Test
  void serviceTargets_byPodIp_resolveNamedTargetPortsFromTheContainer() {
    List<ServiceTarget> targets = controller.matcher().targets(sidecar("default", "whatever", "10.0.0.1"));

    assertThat(targets).extracting(t -> t.service().hostname(), t -> t.port().name(), t -> t.port().port(),
        ServiceTarget::targetPort).containsExactly(
            tuple("reviews.default.svc.cluster.local", "http", 9080, 8080),
            tuple("reviews.default.svc.cluster.local", "grpc", 9090, 9091));
    assertThat(targets.get(0).port().protocol()).isEqualTo(Protocol.HTTP);
  }

  @Test
  void podForProxy_givesLabelsServiceAccountNodeAndWorkloadLabels() {
    assertThat(controller.matcher().podFor(sidecar("default", "reviews-1", "10.0.0.1"))).hasValueSatisfying(p -> {
      assertThat(p.name()).isEqualTo("reviews-1");
      assertThat(p.labels()).containsEntry("version", "v1");
      assertThat(p.serviceAccount()).isEqualTo("reviews");
      assertThat(p.nodeName()).isEqualTo("node-a");
      assertThat(p.workloadLabels()).containsEntry("topology.istio.io/cluster", "Kubernetes");
    });
  }

  @Test
  void proxyInAnotherNamespace_isNotMatchedToThePod() {
    assertThat(controller.matcher().podFor(sidecar("elsewhere", "reviews-1", "10.0.0.1"))).isEmpty();
    assertThat(controller.matcher().targets(sidecar("elsewhere", "reviews-1", "10.0.0.1"))).isEmpty();
  }

  @Test
  void proxyOfAnotherCluster_isNotMatched() {
    Proxy remote = withMetadata(sidecar("default", "reviews-1", "10.0.0.1"), Map.of("CLUSTER_ID", "east"));
    assertThat(controller.matcher().podFor(remote)).isEmpty();
    assertThat(controller.matcher().targets(remote)).isEmpty();
  }

  @Test
  void serviceChange_afterTargetsWereAskedFor_isSeenByTheNextAsk() {
    Proxy proxy = sidecar("default", "whatever", "10.0.0.1");
    assertThat(controller.matcher().targets(proxy)).extracting(t -> t.port().port()).containsExactly(9080, 9090);

    apply(service("""
        apiVersion: v1
        kind: Service
        metadata: {name: other, namespace: default}
        spec: {clusterIP: 10.96.0.11, selector: {version: v1}, ports: [{name: http, port: 80}]}
        """));

    assertThat(controller.matcher().targets(proxy)).extracting(t -> t.service().hostname(), t -> t.port().port())
        .containsExactlyInAnyOrder(tuple("other.default.svc.cluster.local", 80),
            tuple("reviews.default.svc.cluster.local", 9080), tuple("reviews.default.svc.cluster.local", 9090));
  }

  @Test
  void podLabelChange_changesWhichServicesItImplements() {
    apply(pod("default", "reviews-1", List.of("10.0.0.1"), "reviews", "node-a", "app=other"));
    assertThat(controller.matcher().targets(sidecar("default", "reviews-1", "10.0.0.1")))
        .extracting(t -> t.service().hostname()).containsExactly("other.default.svc.cluster.local");
  }

  @Test
  void finishedPod_releasesItsIp() {
    Pod done = new PodBuilder(pod("default", "reviews-1", List.of("10.0.0.1"), "reviews", "node-a", "app=reviews"))
        .editStatus().withPhase("Succeeded").endStatus().build();
    apply(done);
    apply(pod("default", "job-2", List.of("10.0.0.1"), "job", "node-a", "app=other"));
    assertThat(controller.matcher().podFor(sidecar("default", "x", "10.0.0.1")))
        .hasValueSatisfying(p -> assertThat(p.name()).isEqualTo("job-2"));
  }

  @Test
  void unknownPod_fallsBackToProxyLabelsAndPodPortsMetadata() {
    Proxy proxy = withMetadata(
        new Proxy(NodeType.SIDECAR, "reviews-9.default", "sidecar~10.0.0.99~reviews-9.default~default.svc.cluster.local",
            List.of("10.0.0.99"), "default.svc.cluster.local", "default", null, Map.of("app", "reviews"), null, null, null),
        Map.of("POD_PORTS", "[{\"name\":\"http-web\",\"containerPort\":8181,\"protocol\":\"TCP\"}]"));
    assertThat(controller.matcher().targets(proxy)).extracting(t -> t.port().name(), ServiceTarget::targetPort)
        .containsExactly(tuple("http", 8181), tuple("grpc", 9091));
  }

  @Test
  void podWithoutIpYet_isFoundByTheProxyId() {
    apply(pod("default", "reviews-2", List.of(), "reviews", "node-a", "app=reviews"));
    assertThat(controller.matcher().podFor(sidecar("default", "reviews-2", "10.0.0.2")))
        .hasValueSatisfying(p -> assertThat(p.name()).isEqualTo("reviews-2"));
    // ...but not when the named Pod has another address.
    assertThat(controller.matcher().podFor(sidecar("default", "reviews-1", "10.0.0.77"))).isEmpty();
  }

  @Test
  void podNoSelectorPicks_implementsSelectorlessServicesListingItsIp() {
    apply(pod("default", "db-0", List.of("10.0.1.1"), "db", "node-a", "role=db"));
    apply(service("""
        apiVersion: v1
        kind: Service
        metadata: {name: db, namespace: default}
        spec: {clusterIP: None, ports: [{name: tcp-db, port: 5432}]}
        """));
    var slice = KubeObjects.slice("default", "db-manual", "db", List.of("tcp-db:5433"),
        KubeObjects.Ep.ready("10.0.1.1", "db-0"));
    controller.applySlice(ObjectName.of(slice), slice);

    assertThat(controller.matcher().targets(sidecar("default", "db-0", "10.0.1.1")))
        .extracting(t -> t.service().hostname(), t -> t.port().port(), ServiceTarget::targetPort)
        .containsExactly(tuple("db.default.svc.cluster.local", 5432, 5433));
  }

  private static Proxy withMetadata(Proxy p, Map<String, String> fields) {
    Struct.Builder s = Struct.newBuilder();
    fields.forEach((k, v) -> s.putFields(k, Value.newBuilder().setStringValue(v).build()));
    return new Proxy(p.type(), p.id(), p.nodeId(), p.ipAddresses(), p.dnsDomain(), p.configNamespace(),
        new NodeMetadata(s.build()), p.labels(), p.istioVersion(), p.locality(), p.envoyExtensions());
  }
}
