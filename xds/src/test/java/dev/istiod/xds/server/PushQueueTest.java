package dev.istiod.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.model.ConfigKey;
import dev.istiod.model.Kind;
import dev.istiod.model.PushRequest;
import dev.istiod.model.TriggerReason;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PushQueueTest {
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  private final PushQueue<String> queue = new PushQueue<>();

  private static PushRequest change(String name) {
    return PushRequest.full(TriggerReason.CONFIG, Set.of(new ConfigKey(Kind.DESTINATION_RULE, "ns", name)));
  }

  private PushQueue.Item<String> take() throws InterruptedException {
    return queue.poll(0, TimeUnit.MILLISECONDS);
  }

  @Test
  void sameProxyTwice_isOnePendingPush_withTheRequestsMerged() throws Exception {
    queue.enqueue("proxy-1", change("a"), null, NOW);
    queue.enqueue("proxy-1", change("b"), null, NOW);

    assertThat(queue.pending()).isEqualTo(1);
    PushQueue.Item<String> item = take();
    assertThat(item.key()).isEqualTo("proxy-1");
    assertThat(item.request().configsUpdated()).extracting(ConfigKey::name).containsExactlyInAnyOrder("a", "b");
    assertThat(take()).isNull();
  }

  @Test
  void proxiesAreServedFirstInFirstOut() throws Exception {
    queue.enqueue("proxy-1", change("a"), null, NOW);
    queue.enqueue("proxy-2", change("a"), null, NOW);
    queue.enqueue("proxy-1", change("b"), null, NOW);

    assertThat(take().key()).isEqualTo("proxy-1");
    assertThat(take().key()).isEqualTo("proxy-2");
  }

  @Test
  void proxyBeingPushed_waitsForItsPushToFinish_thenGoesToTheBack() throws Exception {
    queue.enqueue("proxy-1", change("a"), null, NOW);
    take();
    queue.enqueue("proxy-1", change("b"), null, NOW);
    queue.enqueue("proxy-1", change("c"), null, NOW);
    queue.enqueue("proxy-2", change("x"), null, NOW);

    assertThat(take().key()).isEqualTo("proxy-2");
    assertThat(take()).isNull();

    queue.markDone("proxy-1");
    PushQueue.Item<String> again = take();
    assertThat(again.key()).isEqualTo("proxy-1");
    assertThat(again.request().configsUpdated()).extracting(ConfigKey::name).containsExactlyInAnyOrder("b", "c");
  }

  @Test
  void idle_onlyWhenNothingIsPendingOrInFlight() throws Exception {
    assertThat(queue.isIdle()).isTrue();
    queue.enqueue("proxy-1", change("a"), null, NOW);
    assertThat(queue.isIdle()).isFalse();
    take();
    assertThat(queue.isIdle()).isFalse();
    queue.markDone("proxy-1");
    assertThat(queue.isIdle()).isTrue();
  }

  @Test
  void proxyWaitingThroughManyPushes_getsOnePushWithTheirUnion_andTheNewestContext() throws Exception {
    queue.enqueue("proxy-1", change("first"), null, NOW);
    take();
    for (int i = 0; i < 2_000; i++) {
      queue.enqueue("proxy-1", change("dr" + (i % 500)), null, NOW.plusMillis(i));
    }
    queue.markDone("proxy-1");

    PushQueue.Item<String> item = take();
    assertThat(item.request().configsUpdated()).hasSize(500);
    assertThat(item.enqueuedAt()).isEqualTo(NOW);
    assertThat(take()).isNull();
  }
}
