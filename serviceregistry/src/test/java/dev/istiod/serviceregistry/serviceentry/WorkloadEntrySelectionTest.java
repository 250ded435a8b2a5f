package dev.istiod.serviceregistry.serviceentry;

import static dev.istiod.serviceregistry.serviceentry.Fixtures.serviceEntry;
import static dev.istiod.serviceregistry.serviceentry.Fixtures.workloadEntry;
import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.model.ConfigKey;
import dev.istiod.model.Endpoint;
import dev.istiod.model.EndpointIndex;
import dev.istiod.model.Kind;
import dev.istiod.model.PushRequest;
import dev.istiod.model.ServiceKey;
import dev.istiod.model.TriggerReason;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** ServiceEntries with a workloadSelector, and how WorkloadEntry changes reach the push pipeline. */
class WorkloadEntrySelectionTest {
  static final ServiceKey VM = new ServiceKey("vm.shop.internal", "shop");
  static final String SELECTOR_SE = """
      {"hosts": ["vm.shop.internal"], "location": "MESH_INTERNAL", "resolution": "STATIC",
       "ports": [{"number": 80, "name": "http", "protocol": "HTTP", "targetPort": 8080}],
       "workloadSelector": {"labels": {"app": "vm"}}}""";

  final FakeConfigStore store = new FakeConfigStore();
  final EndpointIndex index = new EndpointIndex();
  final List<PushRequest> pushes = new CopyOnWriteArrayList<>();
  ServiceEntryRegistry registry;

  @BeforeEach
  void start() {
    registry = new ServiceEntryRegistry(store, index, pushes::add,
        ServiceEntryRegistry.Options.defaults().withExecutor(Runnable::run));
    registry.start();
    store.apply(serviceEntry("shop", "vms", SELECTOR_SE));
  }

  @AfterEach
  void close() {
    registry.close();
  }

  static String vm(String address, String serviceAccount) {
    return """
        {"address": "%s", "serviceAccount": "%s", "labels": {"app": "vm"}}""".formatted(address, serviceAccount);
  }

  List<String> addresses() {
    return index.endpoints(VM).stream().map(Endpoint::address).toList();
  }

  PushRequest onlyPush() {
    assertThat(pushes).hasSize(1);
    return pushes.get(0);
  }

  @Test
  void firstSelectedWorkload_fullPush_asTheIndexClassifiesNewEndpoints() {
    pushes.clear();

    store.apply(workloadEntry("shop", "vm-1", vm("10.0.0.1", "vm")));

    assertThat(index.endpoints(VM)).singleElement().satisfies(ep -> {
      assertThat(ep.address()).isEqualTo("10.0.0.1");
      assertThat(ep.port()).isEqualTo(8080);
      assertThat(ep.workloadName()).isEqualTo("vm-1");
      assertThat(ep.serviceAccount()).isEqualTo("spiffe://cluster.local/ns/shop/sa/vm");
      assertThat(ep.tlsMode()).isEqualTo(Endpoint.TlsMode.ISTIO); // a service account implies a sidecar
    });
    PushRequest push = onlyPush();
    assertThat(push.full()).isTrue();
    assertThat(push.reasons()).containsExactly(TriggerReason.ENDPOINT);
    assertThat(push.configsUpdated()).containsExactly(new ConfigKey(Kind.SERVICE, "shop", "vm.shop.internal"));
  }

  @Test
  void anotherWorkloadWithSameServiceAccount_incrementalEds() {
    store.apply(workloadEntry("shop", "vm-1", vm("10.0.0.1", "vm")));
    pushes.clear();

    store.apply(workloadEntry("shop", "vm-2", vm("10.0.0.2", "vm")));

    assertThat(addresses()).containsExactly("10.0.0.1", "10.0.0.2");
    PushRequest push = onlyPush();
    assertThat(push.full()).isFalse();
    assertThat(push.reasons()).containsExactly(TriggerReason.ENDPOINT);
    assertThat(push.configsUpdated()).containsExactly(new ConfigKey(Kind.ENDPOINTS, "shop", "vm.shop.internal"));
  }

  @Test
  void workloadMoved_incrementalEds() {
    store.apply(workloadEntry("shop", "vm-1", vm("10.0.0.1", "vm")));
    store.apply(workloadEntry("shop", "vm-2", vm("10.0.0.2", "vm")));
    pushes.clear();

    store.apply(workloadEntry("shop", "vm-2", vm("10.0.0.3", "vm")));

    assertThat(addresses()).containsExactly("10.0.0.1", "10.0.0.3");
    assertThat(onlyPush().full()).isFalse();
  }

  @Test
  void workloadWithNewServiceAccount_fullPush() {
    store.apply(workloadEntry("shop", "vm-1", vm("10.0.0.1", "vm")));
    pushes.clear();

    store.apply(workloadEntry("shop", "vm-2", vm("10.0.0.2", "other")));

    assertThat(onlyPush().full()).isTrue();
  }

  @Test
  void workloadDeleted_incrementalWhileOthersRemain_fullWhenLastGoes() {
    store.apply(workloadEntry("shop", "vm-1", vm("10.0.0.1", "vm")));
    store.apply(workloadEntry("shop", "vm-2", vm("10.0.0.2", "vm")));
    pushes.clear();

    store.delete(new ConfigKey(Kind.WORKLOAD_ENTRY, "shop", "vm-2"));

    assertThat(addresses()).containsExactly("10.0.0.1");
    assertThat(onlyPush().full()).isFalse();
    pushes.clear();

    store.delete(new ConfigKey(Kind.WORKLOAD_ENTRY, "shop", "vm-1"));

    assertThat(index.endpoints(VM)).isEmpty();
    assertThat(onlyPush().full()).isTrue(); // the set of service accounts changed
  }

  @Test
  void unselectedWorkload_noEndpoints_noPush() {
    pushes.clear();

    store.apply(workloadEntry("shop", "db", """
        {"address": "10.0.0.9", "labels": {"app": "db"}}"""));
    store.apply(workloadEntry("other", "vm-x", vm("10.0.0.8", "vm"))); // right labels, wrong namespace

    assertThat(index.endpoints(VM)).isEmpty();
    assertThat(pushes).isEmpty();
  }

  @Test
  void relabelledOutOfTheSelector_endpointsRemoved() {
    store.apply(workloadEntry("shop", "vm-1", vm("10.0.0.1", "vm")));
    store.apply(workloadEntry("shop", "vm-2", vm("10.0.0.2", "vm")));
    pushes.clear();

    store.apply(workloadEntry("shop", "vm-2", """
        {"address": "10.0.0.2", "serviceAccount": "vm", "labels": {"app": "retired"}}"""));

    assertThat(addresses()).containsExactly("10.0.0.1");
    assertThat(onlyPush().full()).isFalse();
  }

  @Test
  void metadataLabels_areSelectable_andWinOverSpecLabels() {
    store.apply(workloadEntry("shop", "vm-1", Map.of("app", "vm"), """
        {"address": "10.0.0.1", "labels": {"app": "something-else", "version": "v1"}}"""));

    assertThat(index.endpoints(VM)).singleElement()
        .satisfies(ep -> assertThat(ep.labels()).containsEntry("app", "vm").containsEntry("version", "v1"));
  }

  @Test
  void workloadPortOverride_beatsTargetPort() {
    store.apply(workloadEntry("shop", "vm-1", """
        {"address": "10.0.0.1", "ports": {"http": 9090}, "labels": {"app": "vm"}}"""));

    assertThat(index.endpoints(VM)).extracting(Endpoint::port).containsExactly(9090);
  }

  @Test
  void tlsModeLabel_decidesOverServiceAccount() {
    store.apply(workloadEntry("shop", "vm-1", """
        {"address": "10.0.0.1", "serviceAccount": "vm",
         "labels": {"app": "vm", "security.istio.io/tlsMode": "disabled"}}"""));

    assertThat(index.endpoints(VM)).extracting(Endpoint::tlsMode).containsExactly(Endpoint.TlsMode.DISABLED);
  }

  @Test
  void entryAddedAfterItsWorkloads_selectsThem() {
    store.apply(workloadEntry("shop", "late-1", """
        {"address": "10.0.1.1", "labels": {"app": "late"}}"""));

    store.apply(serviceEntry("shop", "late", SELECTOR_SE.replace("vm.shop", "late.shop").replace("\"vm\"", "\"late\"")));

    assertThat(index.endpoints(new ServiceKey("late.shop.internal", "shop")))
        .extracting(Endpoint::address).containsExactly("10.0.1.1");
  }

  @Test
  void hostnameWorkload_onlyBacksDnsEntries() {
    store.apply(workloadEntry("shop", "named", """
        {"address": "vm-1.example.com", "labels": {"app": "vm"}}"""));
    assertThat(index.endpoints(VM)).isEmpty();

    store.apply(serviceEntry("shop", "vms", SELECTOR_SE.replace("\"STATIC\"", "\"DNS\"")));

    assertThat(addresses()).containsExactly("vm-1.example.com");
  }

  @Test
  void dnsEntryWithSelector_workloadChange_fullPush() {
    store.apply(serviceEntry("shop", "vms", SELECTOR_SE.replace("\"STATIC\"", "\"DNS\"")));
    store.apply(workloadEntry("shop", "vm-1", vm("10.0.0.1", "vm")));
    pushes.clear();

    store.apply(workloadEntry("shop", "vm-2", vm("10.0.0.2", "vm")));

    assertThat(onlyPush().full()).isTrue();
    assertThat(onlyPush().configsUpdated()).containsExactly(new ConfigKey(Kind.SERVICE, "shop", "vm.shop.internal"));
  }

  @Test
  void deletingTheEntry_removesSelectedEndpoints() {
    store.apply(workloadEntry("shop", "vm-1", vm("10.0.0.1", "vm")));

    store.delete(new ConfigKey(Kind.SERVICE_ENTRY, "shop", "vms"));

    assertThat(index.services()).isEmpty();
  }

  @Test
  void malformedWorkloadEntry_skipped_othersStillSelected() {
    store.apply(new dev.istiod.model.Config(Kind.WORKLOAD_ENTRY, dev.istiod.model.ConfigMeta.of("shop", "broken"),
        dev.istiod.api.networking.v1alpha3.ServiceEntry.getDefaultInstance()));
    store.apply(workloadEntry("shop", "vm-1", vm("10.0.0.1", "vm")));

    assertThat(addresses()).containsExactly("10.0.0.1");
  }

  @Test
  void selectorChange_fullPush_evenWithoutEndpointChange() {
    pushes.clear();

    store.apply(serviceEntry("shop", "vms", SELECTOR_SE.replace("\"vm\"}", "\"vm2\"}")));

    assertThat(onlyPush().full()).isTrue();
    assertThat(onlyPush().configsUpdated()).contains(new ConfigKey(Kind.SERVICE, "shop", "vm.shop.internal"));
  }
}
