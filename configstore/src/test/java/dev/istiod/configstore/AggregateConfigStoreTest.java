package dev.istiod.configstore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.api.networking.v1alpha3.VirtualService;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigEvent;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.ConfigMeta;
import dev.istiod.model.Kind;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AggregateConfigStoreTest {
  private static Config vs(String ns, String name, String host) {
    return new Config(Kind.VIRTUAL_SERVICE, ConfigMeta.of(ns, name), VirtualService.newBuilder().addHosts(host).build());
  }

  @Test
  void list_sameKeyInTwoStores_firstStoreWins_andOrderIsStable() {
    MemoryConfigStore cluster = new MemoryConfigStore();
    MemoryConfigStore files = new MemoryConfigStore();
    cluster.create(vs("default", "reviews", "from-cluster"));
    files.create(vs("default", "reviews", "from-files"));
    files.create(vs("a", "ratings", "ratings"));
    AggregateConfigStore all = new AggregateConfigStore(List.of(cluster, files));

    assertThat(all.list(Kind.VIRTUAL_SERVICE)).extracting(c -> c.spec(VirtualService.class).getHosts(0))
        .containsExactly("ratings", "from-cluster");
    assertThat(all.get(new ConfigKey(Kind.VIRTUAL_SERVICE, "default", "reviews")).orElseThrow()
        .spec(VirtualService.class).getHosts(0)).isEqualTo("from-cluster");
  }

  @Test
  void addHandler_receivesEventsFromEverySource() {
    MemoryConfigStore a = new MemoryConfigStore();
    MemoryConfigStore b = new MemoryConfigStore();
    AggregateConfigStore all = new AggregateConfigStore(List.of(a, b));
    List<ConfigEvent> events = new ArrayList<>();
    all.addHandler(events::add);
    a.create(vs("default", "one", "one"));
    b.create(vs("default", "two", "two"));
    assertThat(events).extracting(e -> e.key().name()).containsExactly("one", "two");
  }
}
