package dev.istiod.configstore.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.istiod.api.mesh.v1alpha1.MeshConfig;
import dev.istiod.model.MeshConfigs;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The {@code istio} ConfigMap's {@code mesh} key, watched through fabric8's mock apiserver. */
@EnableKubernetesMockClient(crud = true)
class MeshConfigWatcherTest {
  private static final String NS = "istio-system";

  KubernetesMockServer server;
  KubernetesClient client;

  private MeshConfigWatcher watcher;
  private final List<MeshConfig> notified = new CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() {
    if (watcher != null) {
      watcher.close();
    }
  }

  private void startWatcher(String name) {
    watcher = new MeshConfigWatcher(client, NS, name, notified::add);
    watcher.start();
    await().until(watcher::hasSynced);
  }

  private void writeMesh(String name, String mesh) {
    ConfigMap cm = new ConfigMapBuilder().withNewMetadata().withName(name).withNamespace(NS).endMetadata()
        .withData(Map.of("mesh", mesh)).build();
    client.configMaps().inNamespace(NS).resource(cm).createOr(op -> op.update());
  }

  @Test
  void configMapPresentAtStart_isAppliedOverTheDefaults() {
    writeMesh("istio", "trustDomain: example.org\ndefaultConfig: {proxyStatsMatcher: {inclusionPrefixes: [a]}}\n");

    startWatcher("istio");

    MeshConfig mesh = watcher.current();
    assertThat(mesh.getTrustDomain()).isEqualTo("example.org");
    // Keys the ConfigMap does not set keep upstream's defaults.
    assertThat(mesh.getDefaultConfig().getDiscoveryAddress()).isEqualTo("istiod.istio-system.svc:15012");
    assertThat(mesh.getRootNamespace()).isEqualTo("istio-system");
  }

  @Test
  void missingConfigMap_meansTheDefaults() {
    startWatcher("istio");

    assertThat(watcher.current()).isEqualTo(MeshConfigs.defaults());
    assertThat(notified).isEmpty();
  }

  @Test
  void change_notifiesTheListenerWithTheNewMeshConfig() {
    writeMesh("istio", "trustDomain: one.example\n");
    startWatcher("istio");
    notified.clear();

    writeMesh("istio", "trustDomain: two.example\n");

    await().until(() -> !notified.isEmpty());
    assertThat(notified).extracting(MeshConfig::getTrustDomain).containsExactly("two.example");
    assertThat(watcher.current().getTrustDomain()).isEqualTo("two.example");
  }

  @Test
  void invalidMeshConfig_isIgnored_andThePreviousOneStays() {
    writeMesh("istio", "trustDomain: one.example\n");
    startWatcher("istio");
    notified.clear();

    writeMesh("istio", "trustDomain: [not, a, string]\nnoSuchField: 1\n");
    await().until(() -> watcher.lastError().isPresent());

    assertThat(watcher.current().getTrustDomain()).isEqualTo("one.example");
    assertThat(notified).isEmpty();

    writeMesh("istio", "trustDomain: fixed.example\n");
    await().until(() -> watcher.lastError().isEmpty());
    assertThat(watcher.current().getTrustDomain()).isEqualTo("fixed.example");
  }

  @Test
  void deletedConfigMap_fallsBackToTheDefaults() {
    writeMesh("istio", "trustDomain: one.example\n");
    startWatcher("istio");

    client.configMaps().inNamespace(NS).withName("istio").delete();

    await().until(() -> watcher.current().equals(MeshConfigs.defaults()));
  }

  @Test
  void revisionedConfigMap_isReadAndOthersIgnored() {
    assertThat(MeshConfigWatcher.configMapName("")).isEqualTo("istio");
    assertThat(MeshConfigWatcher.configMapName("default")).isEqualTo("istio");
    assertThat(MeshConfigWatcher.configMapName("canary")).isEqualTo("istio-canary");
    writeMesh("istio", "trustDomain: default.example\n");
    writeMesh("istio-canary", "trustDomain: canary.example\n");

    startWatcher("istio-canary");

    assertThat(watcher.current().getTrustDomain()).isEqualTo("canary.example");
  }
}
