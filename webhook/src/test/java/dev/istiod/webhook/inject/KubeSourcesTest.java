package dev.istiod.webhook.inject;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The injector's cluster inputs: its ConfigMap and the nodes' kubelet versions. */
@EnableKubernetesMockClient(crud = true)
class KubeSourcesTest {
  KubernetesMockServer server;
  KubernetesClient client;

  @Test
  void configMap_updatesTheSettings_andABrokenOneKeepsTheLastGood() {
    try (InjectorConfigMapWatcher w = InjectorConfigMapWatcher.start(client, "istio-system",
        InjectorConfigMapWatcher.configMapName("default"))) {
      await().until(w::hasSynced);
      assertThat(w.get().values().str("global.hub")).isEqualTo("docker.io/istio");

      write(Map.of("values", "{\"global\": {\"hub\": \"registry.example/istio\"}}", "config", "policy: disabled"));
      await().atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(w.get().values().str("global.hub")).isEqualTo("registry.example/istio"));
      assertThat(w.get().config().policy()).isEqualTo("disabled");

      write(Map.of("values", "[not, a, mapping]", "config", "policy: enabled"));
      write(Map.of("values", "{\"global\": {\"hub\": \"registry.example/istio\"}}", "config", "policy: enabled"));
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(w.get().config().policy()).isEqualTo("enabled"));
    }
  }

  @Test
  void nodes_reportTheirKubeletVersions() {
    client.resource(new NodeBuilder().withNewMetadata().withName("n1").endMetadata().withNewStatus().withNewNodeInfo()
        .withKubeletVersion("v1.33.1").endNodeInfo().endStatus().build()).create();
    try (KubeNodeVersions nodes = KubeNodeVersions.start(client)) {
      await().until(nodes::hasSynced);
      assertThat(nodes.kubeletVersion("n1")).contains("v1.33.1");
      assertThat(NativeSidecars.forMode("auto", java.util.Optional.of(nodes)).enabledFor("")).isTrue();
    }
  }

  private void write(Map<String, String> data) {
    client.configMaps().inNamespace("istio-system").resource(new ConfigMapBuilder().withNewMetadata()
        .withName("istio-sidecar-injector").withNamespace("istio-system").endMetadata().withData(data).build())
        .createOr(op -> op.update());
  }
}
