package dev.istiod.xds.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.istiod.model.PushContext;
import dev.istiod.xds.gen.Scenario;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** How the cache keeps, ages and stamps entries, and what it reports. */
class XdsCacheTest {
  private Scenario scenario;
  private final AtomicInteger computed = new AtomicInteger();

  @BeforeEach
  void setUp() throws IOException {
    scenario = Scenario.parse("""
        kind: ProxyUnderTest
        nodeId: sidecar~10.0.0.10~a.default~default.svc.cluster.local
        """);
  }

  private String value(String v) {
    computed.incrementAndGet();
    return v;
  }

  private PushContext newPush() throws InterruptedException {
    Thread.sleep(2); // push contexts are ordered by creation time
    return scenario.push();
  }

  @Test
  void get_sameKeyAndStamp_computesOnceAndSharesTheValue() throws InterruptedException {
    XdsCache cache = XdsCache.create(100, null);
    PushContext push = newPush();
    String first = cache.get(push, "k", 1, () -> value(new String("v")));
    String second = cache.get(push, "k", 1, () -> value(new String("v")));
    assertThat(second).isSameAs(first);
    assertThat(computed).hasValue(1);
    assertThat(cache.hits()).isEqualTo(1);
    assertThat(cache.misses()).isEqualTo(1);
  }

  @Test
  void get_otherStamp_regeneratesAndReplaces() throws InterruptedException {
    XdsCache cache = XdsCache.create(100, null);
    PushContext push = newPush();
    cache.get(push, "k", 1, () -> value("old"));
    assertThat((String) cache.get(push, "k", 2, () -> value("new"))).isEqualTo("new");
    assertThat((String) cache.get(push, "k", 2, () -> value("newer"))).isEqualTo("new");
    assertThat(cache.size()).isEqualTo(1);
  }

  @Test
  void entries_usedByEveryPush_survive_unusedOnes_areDroppedAfterTwoGenerations() throws InterruptedException {
    XdsCache cache = XdsCache.create(100, null);
    PushContext p1 = newPush();
    cache.get(p1, "used", 0, () -> value("u"));
    cache.get(p1, "unused", 0, () -> value("x"));
    PushContext p2 = newPush();
    cache.get(p2, "used", 0, () -> value("u2"));
    PushContext p3 = newPush();
    cache.get(p3, "used", 0, () -> value("u3"));
    assertThat(computed).as("'used' was generated once, 'unused' once").hasValue(2);
    assertThat(cache.size()).as("'unused' was in neither of the last two generations").isEqualTo(2);
    cache.get(p3, "unused", 0, () -> value("x2"));
    assertThat(computed).hasValue(3);
  }

  @Test
  void olderPush_afterNewer_doesNotStartAGeneration() throws InterruptedException {
    XdsCache cache = XdsCache.create(100, null);
    PushContext older = newPush();
    PushContext newer = newPush();
    cache.get(newer, "k", 0, () -> value("v"));
    cache.get(older, "k", 0, () -> value("v"));
    PushContext newest = newPush();
    cache.get(newest, "k", 0, () -> value("v"));
    assertThat(computed).hasValue(1);
  }

  @Test
  void full_cacheStillAnswers_butKeepsNoMore() throws InterruptedException {
    XdsCache cache = XdsCache.create(2, null);
    PushContext push = newPush();
    for (int i = 0; i < 5; i++) {
      final int n = i;
      assertThat((String) cache.get(push, "k" + i, 0, () -> value("v" + n))).isEqualTo("v" + i);
    }
    assertThat(cache.size()).isEqualTo(2);
  }

  @Test
  void disabled_alwaysComputes() throws InterruptedException {
    XdsCache cache = XdsCache.disabled();
    PushContext push = newPush();
    cache.get(push, "k", 0, () -> value("v"));
    cache.get(push, "k", 0, () -> value("v"));
    assertThat(computed).hasValue(2);
    assertThat(cache.enabled()).isFalse();
  }

  @Test
  void create_nonPositiveSize_isRefusedWithTheKnobsName() {
    assertThatThrownBy(() -> XdsCache.create(0, null)).hasMessageContaining("PILOT_XDS_CACHE_SIZE");
  }

  @Test
  void metrics_useUpstreamsNames() throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    XdsCache cache = XdsCache.create(1, registry);
    PushContext push = newPush();
    cache.get(push, "a", 0, () -> value("v"));
    cache.get(push, "a", 0, () -> value("v"));
    cache.get(push, "b", 0, () -> value("v")); // over the size: not kept
    MetricSnapshots scraped = registry.scrape();
    assertThat(counter(scraped, "pilot_xds_cache_reads", "hit")).isEqualTo(1.0);
    assertThat(counter(scraped, "pilot_xds_cache_reads", "miss")).isEqualTo(2.0);
    assertThat(counter(scraped, "pilot_xds_cache_evictions", "size")).isEqualTo(1.0);
    GaugeSnapshot size = (GaugeSnapshot) scraped.stream()
        .filter(m -> m.getMetadata().getName().equals("pilot_xds_cache_size")).findFirst().orElseThrow();
    assertThat(size.getDataPoints().get(0).getValue()).isEqualTo(1.0);
  }

  private static double counter(MetricSnapshots scraped, String name, String type) {
    CounterSnapshot c = (CounterSnapshot) scraped.stream().filter(m -> m.getMetadata().getName().equals(name))
        .findFirst().orElseThrow(() -> new AssertionError(name + " is not registered"));
    return c.getDataPoints().stream().filter(d -> type.equals(d.getLabels().get("type"))).findFirst()
        .orElseThrow(() -> new AssertionError(name + "{type=" + type + "} is missing")).getValue();
  }
}
