package dev.istiod.serviceregistry.serviceentry;

import static dev.istiod.serviceregistry.serviceentry.Fixtures.serviceEntry;
import static dev.istiod.serviceregistry.serviceentry.Fixtures.sidecar;
import static dev.istiod.serviceregistry.serviceentry.Fixtures.workloadEntry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.istiod.model.EndpointIndex;
import dev.istiod.model.ServiceTarget;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Which service ports a proxy's own workload implements: the input of its inbound listeners. */
class ServiceTargetsTest {
  final FakeConfigStore store = new FakeConfigStore();
  ServiceEntryRegistry registry;

  @BeforeEach
  void start() {
    registry = new ServiceEntryRegistry(store, new EndpointIndex(), p -> { },
        ServiceEntryRegistry.Options.defaults().withExecutor(Runnable::run));
    registry.start();
    store.apply(serviceEntry("shop", "vms", """
        {"hosts": ["vm.shop.internal"], "location": "MESH_INTERNAL", "resolution": "STATIC",
         "ports": [{"number": 80, "name": "http", "protocol": "HTTP", "targetPort": 8080},
                   {"number": 9000, "name": "grpc", "protocol": "GRPC"}],
         "workloadSelector": {"labels": {"app": "vm"}}}"""));
    store.apply(workloadEntry("shop", "vm-1", """
        {"address": "10.0.0.1", "ports": {"http": 9090}, "labels": {"app": "vm"}}"""));
  }

  @AfterEach
  void close() {
    registry.close();
  }

  @Test
  void byIp_selectedWorkloadEntry_withItsPortOverride() {
    var targets = registry.serviceTargets(sidecar("shop", List.of("10.0.0.1"), Map.of()));

    assertThat(targets).extracting(t -> t.service().hostname(), t -> t.port().port(), ServiceTarget::targetPort)
        .containsExactly(tuple("vm.shop.internal", 80, 9090), tuple("vm.shop.internal", 9000, 9000));
  }

  @Test
  void byIp_inlineEndpoint() {
    store.apply(serviceEntry("shop", "inline", """
        {"hosts": ["inline.shop.internal"], "resolution": "STATIC",
         "ports": [{"number": 7000, "name": "tcp", "protocol": "TCP", "targetPort": 7070}],
         "endpoints": [{"address": "10.0.0.7"}]}"""));

    var targets = registry.serviceTargets(sidecar("shop", List.of("192.168.0.1", "10.0.0.7"), Map.of()));

    assertThat(targets).extracting(t -> t.service().hostname(), t -> t.port().name(), ServiceTarget::targetPort)
        .containsExactly(tuple("inline.shop.internal", "tcp", 7070));
  }

  @Test
  void byIp_onlyServicesOfTheProxysNamespace() {
    assertThat(registry.serviceTargets(sidecar("other", List.of("10.0.0.1"), Map.of()))).isEmpty();
  }

  @Test
  void byLabels_selectorMatchesProxy_defaultTargetPorts() {
    var targets = registry.serviceTargets(sidecar("shop", List.of("127.0.0.1"), Map.of("app", "vm", "version", "v1")));

    assertThat(targets).extracting(t -> t.service().hostname(), t -> t.port().port(), ServiceTarget::targetPort)
        .containsExactly(tuple("vm.shop.internal", 80, 8080), tuple("vm.shop.internal", 9000, 9000));
  }

  @Test
  void byLabels_onlyInTheProxysNamespace() {
    assertThat(registry.serviceTargets(sidecar("other", List.of("127.0.0.1"), Map.of("app", "vm")))).isEmpty();
  }

  @Test
  void byIpAndLabels_ipMatchWins_noDuplicates() {
    var targets = registry.serviceTargets(sidecar("shop", List.of("10.0.0.1"), Map.of("app", "vm")));

    assertThat(targets).extracting(t -> t.port().port(), ServiceTarget::targetPort)
        .containsExactly(tuple(80, 9090), tuple(9000, 9000));
  }

  @Test
  void unrelatedProxy_noTargets() {
    assertThat(registry.serviceTargets(sidecar("shop", List.of("10.9.9.9"), Map.of("app", "web")))).isEmpty();
  }

  @Test
  void dnsEntryWithoutEndpoints_hasNoWorkloadToMatch() {
    store.apply(serviceEntry("shop", "ext", """
        {"hosts": ["api.example.com"], "resolution": "DNS", "ports": [{"number": 80, "name": "http", "protocol": "HTTP"}]}"""));

    assertThat(registry.serviceTargets(sidecar("shop", List.of("10.9.9.9"), Map.of())))
        .extracting(t -> t.service().hostname()).doesNotContain("api.example.com");
  }
}
