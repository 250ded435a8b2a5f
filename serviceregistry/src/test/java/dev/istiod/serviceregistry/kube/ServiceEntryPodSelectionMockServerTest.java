package dev.istiod.serviceregistry.kube;

import static dev.istiod.serviceregistry.kube.KubeObjects.pod;
import static dev.istiod.serviceregistry.kube.PodWorkloadsTest.ready;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.istiod.api.networking.v1alpha3.ServiceEntry;
import dev.istiod.api.networking.v1alpha3.ServicePort;
import dev.istiod.api.networking.v1alpha3.WorkloadSelector;
import dev.istiod.configstore.MemoryConfigStore;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigMeta;
import dev.istiod.model.Endpoint;
import dev.istiod.model.EndpointIndex;
import dev.istiod.model.Kind;
import dev.istiod.model.PushRequest;
import dev.istiod.model.ServiceKey;
import dev.istiod.serviceregistry.serviceentry.ServiceEntryRegistry;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A ServiceEntry's workloadSelector picking Pods through real fabric8 informers (fabric8's API
 * server mock in CRUD mode), wired as istiod wires the two registries.
 */
@EnableKubernetesMockClient(crud = true)
class ServiceEntryPodSelectionMockServerTest {
  private static final ServiceKey API = new ServiceKey("api.shop.internal", "shop");

  KubernetesClient client;

  private final EndpointIndex index = new EndpointIndex();
  private final List<PushRequest> pushes = new CopyOnWriteArrayList<>();
  private final MemoryConfigStore store = new MemoryConfigStore();
  private KubeServiceRegistry kube;
  private ServiceEntryRegistry serviceEntries;

  @AfterEach
  void close() {
    if (serviceEntries != null) {
      serviceEntries.close();
    }
    if (kube != null) {
      kube.close();
    }
  }

  private static Config apiEntry() {
    ServiceEntry se = ServiceEntry.newBuilder().addHosts(API.hostname())
        .setLocation(ServiceEntry.Location.MESH_INTERNAL).setResolution(ServiceEntry.Resolution.STATIC)
        .addPorts(ServicePort.newBuilder().setNumber(80).setName("http").setProtocol("HTTP").setTargetPort(8080))
        .setWorkloadSelector(WorkloadSelector.newBuilder().putLabels("app", "api"))
        .build();
    return new Config(Kind.SERVICE_ENTRY, ConfigMeta.of("shop", "api"), se);
  }

  private static Pod apiPod(String name, String ip, String app) {
    return ready(pod("shop", name, List.of(ip), "api", "node-a", "app=" + app));
  }

  private List<String> addresses() {
    return index.endpoints(API).stream().map(Endpoint::address).toList();
  }

  @Test
  void podsSelectedByTheEntry_followCreationRelabellingAndDeletion_withIncrementalEds() {
    client.pods().resource(apiPod("api-1", "10.1.0.1", "api")).create();
    client.pods().resource(apiPod("api-other", "10.1.0.9", "web")).create();
    client.pods().resource(ready(pod("elsewhere", "api-x", List.of("10.9.0.1"), "api", "node-a", "app=api")))
        .create();
    store.apply(apiEntry());
    kube = new KubeServiceRegistry(client, index, pushes::add);
    serviceEntries = new ServiceEntryRegistry(store, index, pushes::add,
        ServiceEntryRegistry.Options.defaults().withWorkloadInstances(kube.workloadInstances()));

    kube.start();
    serviceEntries.start();

    await().atMost(Duration.ofSeconds(30)).until(() -> kube.hasSynced() && serviceEntries.hasSynced());
    await().atMost(Duration.ofSeconds(30)).until(() -> addresses().equals(List.of("10.1.0.1")));
    assertThat(index.endpoints(API)).singleElement().satisfies(ep -> {
      assertThat(ep.port()).isEqualTo(8080); // the container port "http-web" does not name "http"
      assertThat(ep.serviceAccount()).isEqualTo("spiffe://cluster.local/ns/shop/sa/api");
    });

    client.pods().resource(apiPod("api-2", "10.1.0.2", "api")).create();
    await().atMost(Duration.ofSeconds(30)).until(() -> addresses().size() == 2);

    pushes.clear();
    client.pods().resource(apiPod("api-2", "10.1.0.2", "retired")).update();
    await().atMost(Duration.ofSeconds(30)).until(() -> addresses().equals(List.of("10.1.0.1")));
    await().atMost(Duration.ofSeconds(30)).until(() -> !pushes.isEmpty());
    assertThat(pushes).allSatisfy(p -> assertThat(p.full()).isFalse());

    client.pods().inNamespace("shop").withName("api-1").delete();
    await().atMost(Duration.ofSeconds(30)).until(() -> addresses().isEmpty());
  }

  @Test
  void podLosingReadiness_leavesTheEntry() {
    store.apply(apiEntry());
    kube = new KubeServiceRegistry(client, index, pushes::add);
    serviceEntries = new ServiceEntryRegistry(store, index, pushes::add,
        ServiceEntryRegistry.Options.defaults().withWorkloadInstances(kube.workloadInstances()));
    kube.start();
    serviceEntries.start();
    await().atMost(Duration.ofSeconds(30)).until(() -> kube.hasSynced() && serviceEntries.hasSynced());

    client.pods().resource(apiPod("api-1", "10.1.0.1", "api")).create();
    await().atMost(Duration.ofSeconds(30)).until(() -> addresses().equals(List.of("10.1.0.1")));

    Pod unready = new PodBuilder(apiPod("api-1", "10.1.0.1", "api")).editStatus()
        .editMatchingCondition(c -> "Ready".equals(c.getType())).withStatus("False").endCondition()
        .endStatus().build();
    client.pods().resource(unready).update();
    await().atMost(Duration.ofSeconds(30)).until(() -> addresses().isEmpty());
  }
}
