package dev.istiod.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * istiod as a Kubernetes controller: the project's CRDs install with kubectl, and VirtualServices,
 * DestinationRules and ServiceEntries applied, edited and deleted with kubectl change where a real Envoy sends
 * traffic — to Pods on a network-namespace test host, or to a ServiceEntry's static loopback endpoints.
 */
@Tag("e2e")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class KubeRoutingE2ETest {
  @RegisterExtension
  static final KubeCluster cluster = KubeCluster.perClass();

  @Test
  void projectCrds_installWithKubectl_andServeEveryIstioKind() {
    Command.Result applied = cluster.installIstioCrds();

    assertThat(applied.stdout()).contains("virtualservices.networking.istio.io", "destinationrules.networking.istio.io",
        "serviceentries.networking.istio.io", "sidecars.networking.istio.io", "gateways.networking.istio.io",
        "authorizationpolicies.security.istio.io", "peerauthentications.security.istio.io");
    String resources = cluster.kubectl("api-resources", "--api-group=networking.istio.io", "-o", "name").stdout();
    assertThat(resources.lines().toList()).contains("virtualservices.networking.istio.io",
        "destinationrules.networking.istio.io", "serviceentries.networking.istio.io", "sidecars.networking.istio.io",
        "gateways.networking.istio.io", "workloadentries.networking.istio.io", "envoyfilters.networking.istio.io");
    // An object written at an older served version reads back at the storage version.
    cluster.kubectl("create", "namespace", "crd-test");
    cluster.apply("""
        apiVersion: networking.istio.io/v1alpha3
        kind: VirtualService
        metadata:
          name: old-version
          namespace: crd-test
        spec:
          hosts: [reviews]
          http:
          - route:
            - destination: {host: reviews}
        """);
    assertThat(cluster.kubectl("get", "virtualservices.v1.networking.istio.io", "old-version", "-n", "crd-test",
        "-o", "jsonpath={.spec.hosts[0]}").stdout()).isEqualTo("reviews");
  }

  @Test
  void virtualService_appliedEditedDeleted_movesTraffic(TestInfo info) {
    try (KubeMesh mesh = KubeMesh.start(cluster, KubeTools.workDir(info), "vs-test", 1)) {
      reviewsV1AndV2(mesh);
      mesh.awaitTraffic("both versions answer before any VirtualService", m ->
          assertThat(m.servedBy("reviews", 20)).contains("reviews-v1", "reviews-v2"));
      long istiodPid = mesh.istiod().pid();

      mesh.cluster().apply(KubeYaml.virtualServiceTo("reviews", mesh.namespace(), mesh.host("reviews"), "v1"));
      mesh.awaitTraffic("everyone -> v1 after kubectl apply", m ->
          assertThat(m.servedBy("reviews", 10)).containsOnly("reviews-v1"));

      mesh.cluster().apply(KubeYaml.virtualServiceTo("reviews", mesh.namespace(), mesh.host("reviews"), "v2"));
      mesh.awaitTraffic("everyone -> v2 after the edit", m ->
          assertThat(m.servedBy("reviews", 10)).containsOnly("reviews-v2"));

      mesh.cluster().kubectl("delete", "virtualservice", "reviews", "-n", mesh.namespace());
      mesh.awaitTraffic("both versions again after kubectl delete", m ->
          assertThat(m.servedBy("reviews", 20)).contains("reviews-v1", "reviews-v2"));

      assertThat(mesh.istiod().pid()).as("istiod was not restarted").isEqualTo(istiodPid);
      mesh.assertNoRejects();
    }
  }

  @Test
  void destinationRule_editedAndDeleted_changesWhatASubsetMeans(TestInfo info) {
    try (KubeMesh mesh = KubeMesh.start(cluster, KubeTools.workDir(info), "dr-test", 1)) {
      reviewsV1AndV2(mesh);
      mesh.cluster().apply(KubeYaml.virtualServiceTo("reviews", mesh.namespace(), mesh.host("reviews"), "stable"));
      mesh.cluster().apply(KubeYaml.destinationRule("reviews", mesh.namespace(), mesh.host("reviews"),
          Map.of("stable", "v1")));
      mesh.awaitTraffic("subset stable = version v1", m ->
          assertThat(m.servedBy("reviews", 10)).containsOnly("reviews-v1"));

      mesh.cluster().apply(KubeYaml.destinationRule("reviews", mesh.namespace(), mesh.host("reviews"),
          Map.of("stable", "v2")));
      mesh.awaitTraffic("subset stable = version v2 after the edit", m ->
          assertThat(m.servedBy("reviews", 10)).containsOnly("reviews-v2"));
      mesh.assertNoRejects();

      mesh.cluster().kubectl("delete", "destinationrule", "reviews", "-n", mesh.namespace());
      mesh.awaitTraffic("no workload serves an undefined subset", m ->
          assertThat(m.send("reviews").servedBy()).isEmpty());
    }
  }

  @Test
  void serviceEntry_appliedEditedDeleted_changesStaticEndpoints(TestInfo info) {
    Path workDir = KubeTools.workDir(info);
    try (KubeMesh mesh = KubeMesh.start(cluster, workDir, "se-test", 0)) {
      String host = "payments.external.test";
      EchoServer first = EchoServer.onLoopback("payments-a", "127.0.0.25", mesh.port(), workDir);
      EchoServer second = EchoServer.onLoopback("payments-b", "127.0.0.26", mesh.port(), workDir);
      try (first; second) {
        mesh.cluster().apply(KubeYaml.serviceEntry("payments", mesh.namespace(), host, mesh.port(),
            List.of(first.address())));
        mesh.awaitTraffic("the ServiceEntry's endpoint answers", m ->
            assertThat(m.servedBy(host, 5)).containsOnly("payments-a"));

        mesh.cluster().apply(KubeYaml.serviceEntry("payments", mesh.namespace(), host, mesh.port(),
            List.of(second.address())));
        mesh.awaitTraffic("the edited endpoint answers", m ->
            assertThat(m.servedBy(host, 5)).containsOnly("payments-b"));
        mesh.assertNoRejects();

        mesh.cluster().kubectl("delete", "serviceentry", "payments", "-n", mesh.namespace());
        mesh.awaitTraffic("nothing answers for the deleted ServiceEntry's host", m ->
            assertThat(m.send(host).servedBy()).isEmpty());
      }
    }
  }

  /** Service reviews (selector app=reviews) with Pods v1 and v2 on the test host, and echo servers behind them. */
  static void reviewsV1AndV2(KubeMesh mesh) {
    TestHost host = mesh.host();
    mesh.serve("reviews-v1", host.address());
    mesh.serve("reviews-v2", host.extraAddresses().getFirst());
    mesh.cluster().apply(KubeYaml.service("reviews", mesh.namespace(), "reviews", mesh.port())
        + "---\n" + KubeYaml.destinationRule("reviews", mesh.namespace(), mesh.host("reviews")));
    mesh.runPod("reviews-v1", Map.of("app", "reviews", "version", "v1"), host.address());
    mesh.runPod("reviews-v2", Map.of("app", "reviews", "version", "v2"), host.extraAddresses().getFirst());
  }
}
