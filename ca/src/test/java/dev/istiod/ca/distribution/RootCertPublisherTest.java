package dev.istiod.ca.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class RootCertPublisherTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  KubernetesClient client;

  private final AtomicReference<String> roots = new AtomicReference<>("ROOT-A\n");
  private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
  private RootCertPublisher publisher;

  @AfterEach
  void stop() {
    if (publisher != null) {
      publisher.close();
    }
    executor.shutdownNow();
  }

  private void namespace(String name) {
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
  }

  private ConfigMap configMap(String ns) {
    return client.configMaps().inNamespace(ns).withName("istio-ca-root-cert").get();
  }

  private String published(String ns) {
    ConfigMap cm = configMap(ns);
    return cm == null || cm.getData() == null ? null : cm.getData().get("root-cert.pem");
  }

  private void start() {
    publisher = new RootCertPublisher(client, "istio-ca-root-cert", roots::get, executor);
    publisher.start();
    await().atMost(WAIT).until(publisher::hasSynced);
  }

  @Test
  void everyNamespaceButTheExcludedOnes_getsTheRoots() {
    for (String ns : new String[] {"default", "kube-system", "kube-public", "kube-node-lease", "local-path-storage"}) {
      namespace(ns);
    }

    start();

    await().atMost(WAIT).until(() -> "ROOT-A\n".equals(published("default")) && "ROOT-A\n".equals(published("kube-system")));
    assertThat(configMap("default").getMetadata().getLabels()).containsEntry("istio.io/config", "true");
    assertThat(configMap("kube-public")).isNull();
    assertThat(configMap("kube-node-lease")).isNull();
    assertThat(configMap("local-path-storage")).isNull();
  }

  @Test
  void aNewNamespace_getsItToo() {
    start();

    namespace("bookinfo");

    await().atMost(WAIT).until(() -> "ROOT-A\n".equals(published("bookinfo")));
  }

  @Test
  void aRootChange_rewritesEveryNamespace() {
    namespace("default");
    namespace("bookinfo");
    start();
    await().atMost(WAIT).until(() -> "ROOT-A\n".equals(published("bookinfo")));

    roots.set("ROOT-A\nROOT-B\n");
    publisher.rootsChanged();

    await().atMost(WAIT).until(() -> "ROOT-A\nROOT-B\n".equals(published("default"))
        && "ROOT-A\nROOT-B\n".equals(published("bookinfo")));
  }

  @Test
  void drift_isRepaired_andOtherKeysKept() {
    namespace("default");
    start();
    await().atMost(WAIT).until(() -> "ROOT-A\n".equals(published("default")));

    ConfigMap edited = new ConfigMapBuilder(configMap("default"))
        .withData(Map.of("root-cert.pem", "tampered", "extra", "kept")).build();
    client.configMaps().inNamespace("default").resource(edited).update();
    await().atMost(WAIT).until(() -> "ROOT-A\n".equals(published("default")));
    assertThat(configMap("default").getData()).containsEntry("extra", "kept");

    client.configMaps().inNamespace("default").withName("istio-ca-root-cert").delete();
    await().atMost(WAIT).until(() -> "ROOT-A\n".equals(published("default")));
  }
}
