package dev.istiod.configstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.istiod.model.Config;
import dev.istiod.model.ConfigEvent;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.ConfigMeta;
import dev.istiod.model.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MemoryConfigStoreTest {
  private static Config se(String ns, String name, String host) {
    Config c = TestConfigs.config(Kind.SERVICE_ENTRY, name,
        "hosts: [" + host + "]\nports: [{number: 80, name: http, protocol: HTTP}]\nresolution: DNS");
    return inNamespace(c, ns);
  }

  private static Config inNamespace(Config c, String ns) {
    ConfigMeta m = c.meta();
    return new Config(c.kind(), new ConfigMeta(m.name(), ns, m.labels(), m.annotations(), "", 0, null, ""), c.spec());
  }

  @Test
  void writes_areVisibleInStableOrder_andBumpResourceVersion() {
    MemoryConfigStore store = new MemoryConfigStore();
    Config b = store.create(inNamespace(se("default", "b", "b.example.com"), "ns2"));
    Config a = store.create(inNamespace(se("default", "a", "a.example.com"), "ns2"));
    Config z = store.create(inNamespace(se("default", "z", "z.example.com"), "ns1"));
    assertThat(store.list(Kind.SERVICE_ENTRY)).extracting(c -> c.key().toString())
        .containsExactly("ServiceEntry/ns1/z", "ServiceEntry/ns2/a", "ServiceEntry/ns2/b");
    assertThat(store.list(Kind.SERVICE_ENTRY, "ns2")).extracting(Config::name).containsExactly("a", "b");
    assertThat(store.list(Kind.VIRTUAL_SERVICE)).isEmpty();
    assertThat(List.of(b, a, z)).extracting(c -> Long.parseLong(c.meta().resourceVersion())).containsExactly(1L, 2L, 3L);
    Config updated = store.update(a);
    assertThat(updated.meta().resourceVersion()).isEqualTo("4");
    assertThat(store.get(a.key())).hasValue(updated);
    assertThat(store.hasSynced()).isTrue();
  }

  @Test
  void createUpdateDelete_followTheContract() {
    MemoryConfigStore store = new MemoryConfigStore();
    Config a = se("default", "a", "a.example.com");
    assertThatThrownBy(() -> store.update(a)).isInstanceOf(IllegalStateException.class).hasMessageContaining("does not exist");
    store.create(a);
    assertThatThrownBy(() -> store.create(a)).isInstanceOf(IllegalStateException.class).hasMessageContaining("already exists");
    store.apply(a);
    assertThat(store.delete(a.key())).isTrue();
    assertThat(store.delete(a.key())).isFalse();
    assertThat(store.get(a.key())).isEmpty();
  }

  @Test
  void handlers_runSynchronouslyAfterEachChange_inOrder() {
    MemoryConfigStore store = new MemoryConfigStore();
    List<String> seen = new ArrayList<>();
    store.addHandler(e -> {
      // The change is already visible when the handler runs.
      assertThat(store.get(e.key()).isPresent()).isEqualTo(e.type() != ConfigEvent.Type.DELETE);
      seen.add(e.type() + " " + e.key().name() + " rv=" + e.latest().meta().resourceVersion());
    });
    store.addHandler(e -> {
      throw new IllegalStateException("a broken handler must not break the store");
    });
    Config a = se("default", "a", "a.example.com");
    store.apply(a);
    store.apply(a);
    store.delete(a.key());
    assertThat(seen).containsExactly("ADD a rv=1", "UPDATE a rv=2", "DELETE a rv=2");
  }

  @Test
  void withRegistry_invalidConfigIsRejected() {
    MemoryConfigStore store = new MemoryConfigStore(KindRegistry.istio());
    Config bad = TestConfigs.config(Kind.VIRTUAL_SERVICE, "bad", """
        hosts: [reviews]
        http: [{route: [{destination: {host: a}, weight: 0}, {destination: {host: b}, weight: 0}]}]
        """);
    assertThatThrownBy(() -> store.create(bad)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("VirtualService/default/bad: configuration is invalid: total destination weight = 0");
    assertThat(store.list(Kind.VIRTUAL_SERVICE)).isEmpty();
  }

  @Test
  void pseudoKinds_areRejected() {
    MemoryConfigStore store = new MemoryConfigStore();
    Config service = new Config(Kind.SERVICE, ConfigMeta.of("default", "x"), com.google.protobuf.Empty.getDefaultInstance());
    assertThatThrownBy(() -> store.create(service)).hasMessageContaining("not an Istio config kind");
  }

  @Test
  void concurrentWriters_eachEventSeenOnce() throws Exception {
    MemoryConfigStore store = new MemoryConfigStore();
    List<ConfigKey> added = java.util.Collections.synchronizedList(new ArrayList<>());
    store.addHandler(e -> added.add(e.key()));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    CountDownLatch start = new CountDownLatch(1);
    Config template = se("default", "x", "x.example.com");
    for (int t = 0; t < 4; t++) {
      int thread = t;
      pool.submit(() -> {
        start.await();
        for (int i = 0; i < 50; i++) {
          store.create(new Config(Kind.SERVICE_ENTRY, ConfigMeta.of("ns" + thread, "se" + i), template.spec()));
        }
        return null;
      });
    }
    start.countDown();
    pool.shutdown();
    assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    assertThat(store.list(Kind.SERVICE_ENTRY)).hasSize(200);
    assertThat(added).hasSize(200).doesNotHaveDuplicates();
    assertThat(store.list(Kind.SERVICE_ENTRY)).extracting(c -> c.meta().resourceVersion()).doesNotHaveDuplicates();
  }
}
