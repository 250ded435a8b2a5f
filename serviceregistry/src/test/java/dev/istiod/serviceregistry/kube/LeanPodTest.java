package dev.istiod.serviceregistry.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.model.Locality;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;

/** The informer keeps a lean copy of every Pod: the registry must read the same from it as from the full Pod. */
class LeanPodTest {
  /** A Pod as the API server sends it, with everything the registry reads and much it does not. */
  private static final String FULL = """
      apiVersion: v1
      kind: Pod
      metadata:
        name: reviews-v1-7d4b9c-x2p9q
        generateName: reviews-v1-7d4b9c-
        namespace: bookinfo
        uid: 6f1c0d3e-1111-2222-3333-444455556666
        resourceVersion: "4711"
        labels: {app: reviews, version: v1, pod-template-hash: 7d4b9c, security.istio.io/tlsMode: istio,
                 topology.istio.io/locality: eu.eu-1.rack-3}
        annotations: {sidecar.istio.io/status: '{"containers":["istio-proxy"]}', kubectl.kubernetes.io/restartedAt: now}
        ownerReferences:
        - {apiVersion: apps/v1, kind: ReplicaSet, name: reviews-v1-7d4b9c, uid: abc, controller: true, blockOwnerDeletion: true}
      spec:
        nodeName: node-a
        serviceAccountName: bookinfo-reviews
        serviceAccount: bookinfo-reviews
        initContainers:
        - name: istio-init
          image: proxyv2
          ports: [{name: init-port, containerPort: 1}]
        - name: log-shipper
          image: shipper
          restartPolicy: Always
          ports: [{name: http-logs, containerPort: 9880, protocol: TCP}]
        containers:
        - name: reviews
          image: reviews:v1
          env: [{name: LOG_DIR, value: /tmp/logs}]
          ports:
          - {name: http, containerPort: 9080, protocol: TCP}
          - {containerPort: 9443}
          - {name: grpc-admin, containerPort: 9090}
          readinessProbe: {httpGet: {path: /health, port: 9080}}
          volumeMounts: [{name: tmp, mountPath: /tmp}]
        - name: istio-proxy
          image: proxyv2
          ports: [{name: http-envoy-prom, containerPort: 15090, protocol: TCP}]
        volumes: [{name: tmp, emptyDir: {}}]
        tolerations: [{key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 300}]
      status:
        phase: Running
        hostIP: 10.0.0.1
        podIP: 10.1.0.7
        podIPs: [{ip: 10.1.0.7}, {ip: "fd00::7"}]
        conditions:
        - {type: Initialized, status: "True"}
        - {type: Ready, status: "True"}
        - {type: ContainersReady, status: "True"}
        containerStatuses: [{name: reviews, ready: true, restartCount: 0, image: reviews:v1, imageID: x}]
      """;

  private final PodConverter converter = new PodConverter("Kubernetes");

  @Test
  void theRegistryReadsTheSameFromTheLeanPod() {
    Pod full = Serialization.unmarshal(FULL, Pod.class);
    Pod lean = LeanPod.of(Serialization.unmarshal(FULL, Pod.class));

    PodInfo fromFull = converter.convert(full, Locality.NONE, "net-1");
    assertThat(converter.convert(lean, Locality.NONE, "net-1")).isEqualTo(fromFull);
    assertThat(fromFull.workloadName()).isEqualTo("reviews-v1");
    assertThat(fromFull.containerPorts()).hasSize(4);
    assertThat(PodConverter.addressable(lean)).isTrue();
    assertThat(PodWorkloads.ready(lean)).isTrue();
    assertThat(PodWorkloads.of(lean, fromFull)).isEqualTo(PodWorkloads.of(full, fromFull)).isPresent();
    assertThat(lean.getMetadata().getResourceVersion()).isEqualTo("4711");
  }

  @Test
  void aPodBeingDeletedOrNotReadyStaysSo() {
    Pod deleting = Serialization.unmarshal(FULL, Pod.class);
    deleting.getMetadata().setDeletionTimestamp("2026-01-01T00:00:00Z");
    deleting.getStatus().getConditions().get(1).setStatus("False");
    Pod lean = LeanPod.of(deleting);
    assertThat(PodConverter.addressable(lean)).isFalse();
    assertThat(PodWorkloads.ready(lean)).isFalse();
  }

  @Test
  void dropsWhatTheRegistryNeverReads() {
    Pod lean = LeanPod.of(Serialization.unmarshal(FULL, Pod.class));
    assertThat(lean.getMetadata().getAnnotations()).isNullOrEmpty();
    assertThat(lean.getSpec().getVolumes()).isNullOrEmpty();
    assertThat(lean.getSpec().getTolerations()).isNullOrEmpty();
    assertThat(lean.getSpec().getContainers()).allSatisfy(c -> {
      assertThat(c.getImage()).isNull();
      assertThat(c.getEnv()).isNullOrEmpty();
    });
    assertThat(lean.getSpec().getInitContainers()).hasSize(1); // only the native sidecar
    assertThat(lean.getStatus().getContainerStatuses()).isNullOrEmpty();
    assertThat(lean.getStatus().getConditions()).singleElement()
        .satisfies(c -> assertThat(c.getType()).isEqualTo("Ready"));
  }

  @Test
  void aPodWithoutSpecOrStatusStaysReadable() {
    Pod bare = Serialization.unmarshal("""
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: ns}
        """, Pod.class);
    Pod lean = LeanPod.of(bare);
    assertThat(converter.convert(lean, Locality.NONE, "")).isEqualTo(converter.convert(bare, Locality.NONE, ""));
    assertThat(PodConverter.addressable(lean)).isFalse();
  }
}
