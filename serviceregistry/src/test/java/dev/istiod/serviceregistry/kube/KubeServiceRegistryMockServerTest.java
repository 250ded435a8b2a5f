package dev.istiod.serviceregistry.kube;

import static dev.istiod.serviceregistry.kube.KubeObjects.clusterIp;
import static dev.istiod.serviceregistry.kube.KubeObjects.pod;
import static dev.istiod.serviceregistry.kube.KubeObjects.sidecar;
import static dev.istiod.serviceregistry.kube.KubeObjects.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.istiod.model.Endpoint;
import dev.istiod.model.EndpointIndex;
import dev.istiod.model.PushRequest;
import dev.istiod.model.ServiceKey;
import dev.istiod.serviceregistry.kube.KubeObjects.Ep;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The registry through real fabric8 informers, against fabric8's API server mock in CRUD mode. */
@EnableKubernetesMockClient(crud = true)
class KubeServiceRegistryMockServerTest {
  private static final ServiceKey REVIEWS = new ServiceKey("reviews.default.svc.cluster.local", "default");

  KubernetesClient client;

  private final EndpointIndex index = new EndpointIndex();
  private final List<PushRequest> pushes = new CopyOnWriteArrayList<>();
  private KubeServiceRegistry registry;

  @AfterEach
  void close() {
    if (registry != null) {
      registry.close();
    }
  }

  private void start() {
    registry = new KubeServiceRegistry(client, index, pushes::add);
    registry.start();
    await().atMost(Duration.ofSeconds(30)).until(registry::hasSynced);
  }

  @Test
  void syncsExistingObjects_thenFollowsEndpointChangesIncrementally() {
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("default").endMetadata().build())
        .create();
    client.pods().resource(pod("default", "reviews-1", List.of("10.0.0.1"), "reviews", "node-a", "app=reviews")).create();
    client.pods().resource(pod("default", "reviews-2", List.of("10.0.0.2"), "reviews", "node-a", "app=reviews")).create();
    client.services().resource(clusterIp("default", "reviews", "10.96.0.10", "http:9080:http-web")).create();
    client.discovery().v1().endpointSlices().resource(
        slice("default", "reviews-abc", "reviews", List.of("http:8080"), Ep.ready("10.0.0.1", "reviews-1"))).create();

    start();

    assertThat(registry.services()).extracting(s -> s.hostname()).containsExactly(REVIEWS.hostname());
    assertThat(index.endpoints(REVIEWS)).extracting(Endpoint::address).containsExactly("10.0.0.1");
    assertThat(pushes).singleElement().satisfies(p -> assertThat(p.full()).isTrue());
    assertThat(registry.serviceTargets(sidecar("default", "reviews-1", "10.0.0.1")))
        .extracting(t -> t.targetPort()).containsExactly(8080);
    assertThat(registry.podForProxy(sidecar("default", "reviews-1", "10.0.0.1")))
        .hasValueSatisfying(p -> assertThat(p.serviceAccount()).isEqualTo("reviews"));

    pushes.clear();
    client.discovery().v1().endpointSlices().resource(slice("default", "reviews-abc", "reviews", List.of("http:8080"),
        Ep.ready("10.0.0.1", "reviews-1"), Ep.ready("10.0.0.2", "reviews-2"))).update();

    await().atMost(Duration.ofSeconds(30))
        .until(() -> index.endpoints(REVIEWS).size() == 2);
    await().atMost(Duration.ofSeconds(30)).until(() -> !pushes.isEmpty());
    assertThat(pushes).allSatisfy(p -> assertThat(p.full()).isFalse());
  }

  @Test
  void serviceCreatedAfterSync_isAFullPush_andItsDeletionRemovesIt() {
    start();
    pushes.clear();

    client.services().resource(clusterIp("default", "reviews", "10.96.0.10", "http:9080")).create();
    await().atMost(Duration.ofSeconds(30)).until(() -> registry.services().size() == 1);
    await().atMost(Duration.ofSeconds(30)).until(() -> !pushes.isEmpty());
    assertThat(pushes).allSatisfy(p -> assertThat(p.full()).isTrue());

    client.services().inNamespace("default").withName("reviews").delete();
    await().atMost(Duration.ofSeconds(30)).until(() -> registry.services().isEmpty());
  }
}
