package dev.istiod.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.model.ConfigKey;
import dev.istiod.model.Kind;
import dev.istiod.model.PushRequest;
import dev.istiod.model.ServiceKey;
import dev.istiod.model.TriggerReason;
import dev.istiod.xds.testing.ManualScheduler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Debounce on a scheduler and clock the test moves by hand. */
class DebouncerTest {
  private static final Duration AFTER = Duration.ofMillis(100);
  private static final Duration MAX = Duration.ofSeconds(1);

  private final ManualScheduler scheduler = new ManualScheduler();
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final List<PushRequest> pushed = new CopyOnWriteArrayList<>();

  private Debouncer debouncer(boolean edsDebounce, Consumer<PushRequest> push) {
    XdsServerOptions options = XdsServerOptions.defaults().withDebounce(AFTER, MAX).withEnableEdsDebounce(edsDebounce);
    return new Debouncer(options, scheduler, scheduler.clock(), push, new XdsMetrics(registry));
  }

  private static PushRequest config(String name) {
    return PushRequest.full(TriggerReason.CONFIG, Set.of(new ConfigKey(Kind.VIRTUAL_SERVICE, "default", name)));
  }

  @Test
  void burstWithinQuietPeriod_isMergedIntoOnePush() {
    Debouncer d = debouncer(true, pushed::add);
    d.submit(config("a"));
    scheduler.advance(Duration.ofMillis(50));
    d.submit(config("b"));
    scheduler.advance(Duration.ofMillis(50));
    d.submit(PushRequest.endpoints(Set.of(new ServiceKey("c.default.svc.cluster.local", "default"))));

    scheduler.advance(Duration.ofMillis(99));
    assertThat(pushed).isEmpty();
    scheduler.advance(Duration.ofMillis(1));

    assertThat(pushed).hasSize(1);
    PushRequest merged = pushed.getFirst();
    assertThat(merged.full()).isTrue();
    assertThat(merged.configsUpdated()).extracting(ConfigKey::name)
        .containsExactlyInAnyOrder("a", "b", "c.default.svc.cluster.local");
    assertThat(merged.reasons()).containsExactlyInAnyOrder(TriggerReason.CONFIG, TriggerReason.ENDPOINT);
    assertThat(Metrics.value(registry, "pilot_debounce_time")).isEqualTo(1);
  }

  @Test
  void neverQuiet_isPushedAtTheCap() {
    Debouncer d = debouncer(true, pushed::add);
    Instant start = scheduler.now();
    for (int i = 0; i < 30 && pushed.isEmpty(); i++) {
      d.submit(config("vs" + i));
      scheduler.advance(Duration.ofMillis(50));
    }

    assertThat(pushed).hasSize(1);
    assertThat(Duration.between(start, scheduler.now())).isBetween(MAX, MAX.plus(AFTER));
    assertThat(pushed.getFirst().configsUpdated().size()).isBetween(20, 22);
  }

  @Test
  void onlyOnePushRunsAtATime_laterChangesWaitForIt() {
    Debouncer[] d = new Debouncer[1];
    d[0] = debouncer(true, r -> {
      pushed.add(r);
      if (pushed.size() == 1) {
        // A change arrives, and goes quiet, while the first push is still running.
        d[0].submit(config("during"));
        scheduler.advance(AFTER.multipliedBy(2));
        assertThat(pushed).hasSize(1);
      }
    });
    d[0].submit(config("first"));

    scheduler.advance(AFTER);

    assertThat(pushed).hasSize(2);
    assertThat(pushed.get(1).configsUpdated()).extracting(ConfigKey::name).containsExactly("during");
    assertThat(d[0].isIdle()).isTrue();
  }

  @Test
  void endpointChanges_skipDebounce_whenEdsDebounceIsOff() {
    Debouncer d = debouncer(false, pushed::add);
    d.submit(config("a"));
    d.submit(PushRequest.endpoints(Set.of(new ServiceKey("svc", "default"))));

    scheduler.runDue();

    assertThat(pushed).hasSize(1);
    assertThat(pushed.getFirst().full()).isFalse();
    scheduler.advance(AFTER);
    assertThat(pushed).hasSize(2);
    assertThat(pushed.get(1).configsUpdated()).extracting(ConfigKey::name).containsExactly("a");
  }

  @Test
  void requestWithoutReason_isCountedAsUnknown() {
    Debouncer d = debouncer(true, pushed::add);
    d.submit(new PushRequest(Set.of(), Set.of(), true, false, scheduler.now()));

    scheduler.advance(AFTER);

    assertThat(pushed.getFirst().reasons()).containsExactly(TriggerReason.UNKNOWN);
  }

  @Test
  void burstOfThousands_isOnePushNamingEveryKeyOnce() {
    Debouncer d = debouncer(true, pushed::add);
    for (int i = 0; i < 5_000; i++) {
      d.submit(i % 2 == 0 ? config("vs" + (i % 3_000))
          : PushRequest.endpoints(Set.of(new ServiceKey("h" + (i % 1_000) + ".default.svc.cluster.local", "default"))));
    }
    scheduler.advance(AFTER);

    assertThat(pushed).hasSize(1);
    PushRequest merged = pushed.getFirst();
    assertThat(merged.configsUpdated()).hasSize(1_500 + 500);
    assertThat(merged.full()).isTrue();
    assertThat(merged.reasons()).containsExactlyInAnyOrder(TriggerReason.CONFIG, TriggerReason.ENDPOINT);
    assertThat(d.isIdle()).isTrue();
  }
}
