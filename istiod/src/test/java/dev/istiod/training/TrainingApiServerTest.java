package dev.istiod.training;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stand-in API server answers fabric8 as the training run needs: lists, watches, writes. */
class TrainingApiServerTest {
  @TempDir
  Path dir;

  @Test
  void informers_syncOverTlsWithWebSocketWatches_andWritesAreReadBack() throws Exception {
    Path yaml = Path.of("../deploy/image/training.yaml");
    try (TrainingApiServer server = TrainingApiServer.start(dir, Files.exists(yaml) ? yaml : null);
        KubernetesClient client = new KubernetesClientBuilder()
            .withConfig(Config.fromKubeconfig(Files.readString(dir.resolve("kubeconfig")))).build()) {
      SharedIndexInformer<Pod> pods = client.pods().inAnyNamespace().inform();
      pods.start().toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertThat(pods.getStore().list()).hasSize(TrainingCluster.SERVICES * TrainingCluster.PODS_PER_SERVICE);
      assertThat(pods.isWatching()).isTrue();
      pods.close();

      assertThat(client.apiextensions().v1().customResourceDefinitions().list().getItems())
          .extracting(CustomResourceDefinition::getMetadata).extracting(m -> m.getName())
          .contains("virtualservices.networking.istio.io", "peerauthentications.security.istio.io");
      assertThat(client.services().inNamespace("training-0").list().getItems()).isNotEmpty();
      assertThat(client.configMaps().inNamespace("istio-system").withName("istio").get().getData())
          .containsKey("mesh");

      client.configMaps().inNamespace("default").resource(new ConfigMapBuilder().withNewMetadata()
          .withName("written").endMetadata().addToData("k", "v").build()).create();
      assertThat(client.configMaps().inNamespace("default").withName("written").get().getData())
          .containsEntry("k", "v");
      assertThat(client.configMaps().inNamespace("default").withName("absent").get()).isNull();
    }
  }
}
