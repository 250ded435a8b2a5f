package dev.istiod.serviceregistry.kube;

import static dev.istiod.serviceregistry.kube.KubeObjects.node;
import static dev.istiod.serviceregistry.kube.KubeObjects.pod;
import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.model.Endpoint;
import dev.istiod.model.EndpointIndex;
import dev.istiod.model.Locality;
import dev.istiod.serviceregistry.WorkloadInstance;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Pods the Kubernetes registry offers to ServiceEntry selectors, and when it says they changed. */
class PodWorkloadsTest {
  /** One listener call: the Pod's name and what it is now (null = gone). */
  record Change(String namespace, String name, WorkloadInstance current) {}

  private final List<Change> changes = new ArrayList<>();
  private KubeController controller;

  @BeforeEach
  void syncedCluster() {
    controller = new KubeController(new EndpointIndex(), p -> { }, KubeServiceRegistry.Options.defaults());
    controller.workloads().addListener((ns, name, current) -> changes.add(new Change(ns, name, current)));
    controller.sync(List.of(), List.of(node("node-a", "topology.kubernetes.io/region=eu",
        "topology.kubernetes.io/zone=eu-1")), List.of(), List.of(), List.of());
    changes.clear();
  }

  static Pod ready(Pod pod) {
    return new PodBuilder(pod).editStatus()
        .addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus().build();
  }

  static Pod notReady(Pod pod) {
    return new PodBuilder(pod).editStatus()
        .addNewCondition().withType("Ready").withStatus("False").endCondition().endStatus().build();
  }

  private void apply(Pod p) {
    controller.applyPod(ObjectName.of(p), p);
  }

  private static Pod api(String ip, String... labels) {
    return pod("shop", "api-1", List.of(ip, "fd00::1"), "api", "node-a", labels);
  }

  @Test
  void readyPod_isAWorkload_withTopologyLabelsIdentityAndPorts() {
    apply(ready(api("10.1.0.1", "app=api", "security.istio.io/tlsMode=istio")));

    assertThat(controller.workloads().list()).singleElement().satisfies(wi -> {
      assertThat(wi.name()).isEqualTo("api-1");
      assertThat(wi.namespace()).isEqualTo("shop");
      assertThat(wi.address()).isEqualTo("10.1.0.1"); // the primary IP, as upstream without dual-stack
      assertThat(wi.labels()).containsEntry("app", "api")
          .containsEntry("topology.kubernetes.io/region", "eu")
          .containsEntry("topology.kubernetes.io/zone", "eu-1")
          .containsEntry("topology.istio.io/cluster", "Kubernetes")
          .containsEntry("kubernetes.io/hostname", "node-a");
      assertThat(wi.serviceAccount()).isEqualTo("api");
      assertThat(wi.locality()).isEqualTo(new Locality("eu", "eu-1", ""));
      assertThat(wi.tlsMode()).isEqualTo(Endpoint.TlsMode.ISTIO);
      assertThat(wi.portMap()).isEqualTo(Map.of("http-web", 8080));
    });
    assertThat(changes).singleElement().satisfies(c -> assertThat(c.current()).isNotNull());
  }

  @Test
  void podThatIsNotReady_isNoWorkload_untilItIs_andStopsBeingOneWhenItIsNot() {
    apply(notReady(api("10.1.0.1", "app=api")));
    assertThat(controller.workloads().list()).isEmpty();
    assertThat(changes).isEmpty();

    apply(ready(api("10.1.0.1", "app=api")));
    assertThat(changes).singleElement().satisfies(c -> assertThat(c.current()).isNotNull());
    changes.clear();

    apply(notReady(api("10.1.0.1", "app=api")));
    assertThat(controller.workloads().list()).isEmpty();
    assertThat(changes).containsExactly(new Change("shop", "api-1", null));
  }

  @Test
  void deletedOrFinishedPod_isGone() {
    apply(ready(api("10.1.0.1", "app=api")));
    apply(ready(pod("shop", "api-2", List.of("10.1.0.2"), "api", "node-a", "app=api")));
    changes.clear();

    controller.applyPod(new ObjectName("shop", "api-1"), null);
    apply(new PodBuilder(ready(pod("shop", "api-2", List.of("10.1.0.2"), "api", "node-a", "app=api")))
        .editStatus().withPhase("Succeeded").endStatus().build());

    assertThat(controller.workloads().list()).isEmpty();
    assertThat(changes).containsExactly(new Change("shop", "api-1", null), new Change("shop", "api-2", null));
  }

  @Test
  void irrelevantUpdate_isNotAChange_butAnIpOrLabelChangeIs() {
    apply(ready(api("10.1.0.1", "app=api")));
    changes.clear();

    apply(new PodBuilder(ready(api("10.1.0.1", "app=api"))).editMetadata()
        .addToAnnotations("note", "x").endMetadata().build());
    assertThat(changes).isEmpty();

    apply(ready(api("10.1.0.7", "app=api")));
    apply(ready(api("10.1.0.7", "app=api", "version=v2")));
    assertThat(changes).extracting(c -> c.current().address()).containsExactly("10.1.0.7", "10.1.0.7");
    assertThat(changes.get(1).current().labels()).containsEntry("version", "v2");
  }

  @Test
  void nodeLocalityChange_reachesTheWorkload() {
    apply(ready(api("10.1.0.1", "app=api")));
    changes.clear();

    controller.applyNode("node-a", node("node-a", "topology.kubernetes.io/region=us"));

    assertThat(changes).singleElement()
        .satisfies(c -> assertThat(c.current().locality()).isEqualTo(new Locality("us", "", "")));
  }

  @Test
  void portMap_namedTcpContainerPorts_firstWins_initContainersIgnored() {
    Pod p = new PodBuilder(ready(api("10.1.0.1", "app=api"))).editSpec()
        .addToContainers(new ContainerBuilder().withName("second").withImage("x").withPorts(
            new ContainerPortBuilder().withName("http-web").withContainerPort(9999).build(),
            new ContainerPortBuilder().withName("dns").withContainerPort(53).withProtocol("UDP").build(),
            new ContainerPortBuilder().withName("admin").withContainerPort(9000).build()).build())
        .addToInitContainers(new ContainerBuilder().withName("init").withImage("x").withRestartPolicy("Always")
            .withPorts(new ContainerPortBuilder().withName("sidecar").withContainerPort(7000).build()).build())
        .endSpec().build();

    apply(p);

    assertThat(controller.workloads().list()).singleElement()
        .satisfies(wi -> assertThat(wi.portMap()).isEqualTo(Map.of("http-web", 8080, "admin", 9000)));
  }
}
