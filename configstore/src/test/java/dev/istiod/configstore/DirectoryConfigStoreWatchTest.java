package dev.istiod.configstore;

import static dev.istiod.configstore.DirectoryConfigStoreTest.se;
import static dev.istiod.configstore.DirectoryConfigStoreTest.vs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.istiod.model.Config;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The watcher: file changes apply without a restart. Waits with Awaitility, never asserts timing. */
class DirectoryConfigStoreWatchTest {
  private static final Duration PATIENCE = Duration.ofSeconds(20);

  @TempDir Path dir;
  private DirectoryConfigStore store;
  private final List<String> events = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
  }

  private void startWith(TaskScheduler scheduler) throws IOException {
    DirectoryConfigStore.Builder b = DirectoryConfigStore.builder(dir, KindRegistry.istio());
    if (scheduler != null) {
      b.scheduler(scheduler);
    }
    store = b.build();
    store.addHandler(e -> events.add(e.type() + " " + e.key()));
    store.start();
  }

  @Test
  void addEditDelete_applyWithoutRestart() throws IOException {
    Files.writeString(dir.resolve("entries.yaml"), se("one"));
    startWith(null);
    assertThat(events).containsExactly("ADD ServiceEntry/mesh/one");

    Files.writeString(dir.resolve("routes.yaml"), vs("reviews", 50, 50));
    await().atMost(PATIENCE).until(() -> events.contains("ADD VirtualService/default/reviews"));

    Files.writeString(dir.resolve("routes.yaml"), vs("reviews", 80, 20));
    await().atMost(PATIENCE).until(() -> events.contains("UPDATE VirtualService/default/reviews"));
    Config reviews = store.get(new ConfigKey(Kind.VIRTUAL_SERVICE, "default", "reviews")).orElseThrow();
    assertThat(reviews.spec(dev.istiod.api.networking.v1alpha3.VirtualService.class).getHttp(0).getRoute(0).getWeight())
        .isEqualTo(80);

    Files.delete(dir.resolve("routes.yaml"));
    await().atMost(PATIENCE).until(() -> events.contains("DELETE VirtualService/default/reviews"));
    assertThat(events).containsExactly("ADD ServiceEntry/mesh/one", "ADD VirtualService/default/reviews",
        "UPDATE VirtualService/default/reviews", "DELETE VirtualService/default/reviews");
  }

  @Test
  void newSubdirectories_areWatched() throws IOException {
    startWith(null);
    Path nested = Files.createDirectories(dir.resolve("team-a/routes"));
    Files.writeString(nested.resolve("one.yaml"), se("one"));
    await().atMost(PATIENCE).until(() -> events.contains("ADD ServiceEntry/mesh/one"));
    // A file written later in the new directory is seen through its own watch.
    Files.writeString(nested.resolve("two.yaml"), se("two"));
    await().atMost(PATIENCE).until(() -> events.contains("ADD ServiceEntry/mesh/two"));
  }

  @Test
  void invalidEdit_whileWatching_keepsServingTheLastGoodVersion() throws IOException {
    Files.writeString(dir.resolve("routes.yaml"), vs("reviews", 50, 50));
    startWith(null);
    Files.writeString(dir.resolve("routes.yaml"), vs("reviews", 0, 0));
    await().atMost(PATIENCE).until(() -> !store.errors().isEmpty());
    assertThat(store.errors()).singleElement().asString().contains("total destination weight = 0");
    assertThat(store.list(Kind.VIRTUAL_SERVICE)).hasSize(1);
    assertThat(events).containsExactly("ADD VirtualService/default/reviews");
  }

  @Test
  void burstOfWrites_coalescesIntoOneScheduledRescan() throws IOException {
    ManualScheduler scheduler = new ManualScheduler();
    startWith(scheduler);
    for (String name : List.of("one", "two", "three")) {
      Files.writeString(dir.resolve(name + ".yaml"), se(name));
    }
    await().atMost(PATIENCE).until(() -> scheduler.pendingCount() > 0);
    // However many file events arrived, one rescan is pending until it runs.
    assertThat(scheduler.pendingCount()).isEqualTo(1);
    assertThat(scheduler.delays()).containsOnly(DirectoryConfigStore.DEFAULT_COALESCE);
    assertThat(events).isEmpty();
    scheduler.runPending();
    assertThat(events).containsExactlyInAnyOrder("ADD ServiceEntry/mesh/one", "ADD ServiceEntry/mesh/two",
        "ADD ServiceEntry/mesh/three");
  }

  @Test
  void close_stopsWatching() throws IOException {
    ManualScheduler scheduler = new ManualScheduler();
    startWith(scheduler);
    store.close();
    await().atMost(PATIENCE).until(() -> Thread.getAllStackTraces().keySet().stream()
        .noneMatch(t -> t.getName().equals("configstore-dir-watch " + dir) && t.isAlive()));
    Files.writeString(dir.resolve("late.yaml"), se("late"));
    scheduler.runPending();
    assertThat(events).isEmpty();
    assertThat(scheduler.pendingCount()).isZero();
  }
}
