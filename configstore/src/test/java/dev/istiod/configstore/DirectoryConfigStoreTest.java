package dev.istiod.configstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.istiod.api.networking.v1alpha3.VirtualService;
import dev.istiod.model.Config;
import dev.istiod.model.ConfigEvent;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Directory semantics, driven by explicit rescans (no watcher, no timing). */
class DirectoryConfigStoreTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @TempDir Path dir;
  private DirectoryConfigStore store;
  private final List<String> events = new ArrayList<>();

  static String vs(String name, int w1, int w2) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: %s}
        spec:
          hosts: [%s]
          http:
          - route:
            - {destination: {host: %s, subset: v1}, weight: %d}
            - {destination: {host: %s, subset: v2}, weight: %d}
        """.formatted(name, name, name, w1, name, w2);
  }

  static String se(String name) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: %s, namespace: mesh}
        spec: {hosts: [%s.mesh.internal], ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC}
        """.formatted(name, name);
  }

  private DirectoryConfigStore start() throws IOException {
    store = DirectoryConfigStore.builder(dir, KindRegistry.istio()).watch(false)
        .clock(Clock.fixed(T0, ZoneOffset.UTC)).build();
    store.addHandler(e -> events.add(e.type() + " " + e.key()));
    store.start();
    return store;
  }

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
  }

  private void write(String relative, String content) throws IOException {
    Path p = dir.resolve(relative);
    Files.createDirectories(p.getParent());
    Files.writeString(p, content);
  }

  private List<String> drainEvents() {
    List<String> copy = List.copyOf(events);
    events.clear();
    return copy;
  }

  private List<String> errorTexts() {
    return store.errors().stream().map(ConfigError::toString).map(s -> s.replace(dir.toString(), "DIR")).toList();
  }

  @Test
  void start_readsAllConfigFilesRecursively() throws IOException {
    write("a/reviews.yaml", vs("reviews", 50, 50));
    write("a/b/entries.yml", se("one") + "---\n" + se("two"));
    write("sidecar.json", "{\"apiVersion\":\"networking.istio.io/v1\",\"kind\":\"Sidecar\","
        + "\"metadata\":{\"name\":\"default\"},\"spec\":{\"egress\":[{\"hosts\":[\"./*\"]}]}}");
    write("notes.txt", "not config");
    write(".hidden/ignored.yaml", se("hidden"));
    write("..data/ignored.yaml", se("configmap-internal"));
    start();
    assertThat(store.hasSynced()).isTrue();
    assertThat(store.errors()).isEmpty();
    assertThat(drainEvents()).containsExactlyInAnyOrder("ADD VirtualService/default/reviews",
        "ADD ServiceEntry/mesh/one", "ADD ServiceEntry/mesh/two", "ADD Sidecar/default/default");
    assertThat(store.list(Kind.SERVICE_ENTRY)).extracting(Config::name).containsExactly("one", "two");
    Config reviews = store.get(new ConfigKey(Kind.VIRTUAL_SERVICE, "default", "reviews")).orElseThrow();
    assertThat(reviews.meta().origin()).isEqualTo(dir.resolve("a/reviews.yaml") + "#0");
    assertThat(reviews.meta().creationTimestamp()).isEqualTo(T0);
    assertThat(reviews.meta().resourceVersion()).isNotEmpty();
  }

  @Test
  void rescan_eventsOnlyForObjectsThatChanged() throws IOException {
    write("entries.yaml", se("one") + "---\n" + se("two"));
    start();
    drainEvents();
    Config two = store.get(new ConfigKey(Kind.SERVICE_ENTRY, "mesh", "two")).orElseThrow();

    // Same objects, different formatting: nothing to tell anyone.
    write("entries.yaml", "# reformatted\n" + se("one") + "---\n\n" + se("two"));
    store.rescan();
    assertThat(drainEvents()).isEmpty();

    write("entries.yaml", se("one") + "---\n" + se("two").replace("resolution: STATIC", "resolution: DNS"));
    store.rescan();
    assertThat(drainEvents()).containsExactly("UPDATE ServiceEntry/mesh/two");
    Config two2 = store.get(two.key()).orElseThrow();
    assertThat(Long.parseLong(two2.meta().resourceVersion())).isGreaterThan(Long.parseLong(two.meta().resourceVersion()));
    assertThat(two2.meta().creationTimestamp()).isEqualTo(two.meta().creationTimestamp());

    write("entries.yaml", se("two").replace("resolution: STATIC", "resolution: DNS"));
    store.rescan();
    assertThat(drainEvents()).containsExactly("DELETE ServiceEntry/mesh/one");
  }

  @Test
  void deletingAFile_deletesItsObjects() throws IOException {
    write("one.yaml", se("one"));
    write("two.yaml", se("two"));
    start();
    drainEvents();
    Files.delete(dir.resolve("one.yaml"));
    store.rescan();
    assertThat(drainEvents()).containsExactly("DELETE ServiceEntry/mesh/one");
    assertThat(store.list(Kind.SERVICE_ENTRY)).extracting(Config::name).containsExactly("two");
  }

  @Test
  void invalidObject_isReportedAndOthersFlow() throws IOException {
    write("routes.yaml", vs("reviews", 0, 0) + "---\n" + vs("ratings", 50, 50));
    start();
    assertThat(drainEvents()).containsExactly("ADD VirtualService/default/ratings");
    assertThat(errorTexts()).containsExactly(
        "DIR/routes.yaml#0 VirtualService default/reviews: configuration is invalid: total destination weight = 0");
  }

  @Test
  void invalidEdit_keepsTheLastGoodVersion_untilFixed() throws IOException {
    write("routes.yaml", vs("reviews", 50, 50) + "---\n" + vs("ratings", 50, 50));
    start();
    drainEvents();
    Config good = store.get(new ConfigKey(Kind.VIRTUAL_SERVICE, "default", "reviews")).orElseThrow();

    write("routes.yaml", vs("reviews", -10, 90) + "---\n" + vs("ratings", 20, 80));
    store.rescan();
    assertThat(drainEvents()).containsExactly("UPDATE VirtualService/default/ratings");
    assertThat(store.get(good.key())).hasValue(good);
    assertThat(errorTexts()).containsExactly("DIR/routes.yaml#0 VirtualService default/reviews: configuration is "
        + "invalid: weight -10 < 0; keeping the last valid version");

    // Still invalid in a different way: the same good version stays.
    write("routes.yaml", vs("reviews", 10, 10).replace("hosts: [reviews]", "hosts: [reviews]\n  bogus: 1")
        + "---\n" + vs("ratings", 20, 80));
    store.rescan();
    assertThat(drainEvents()).isEmpty();
    assertThat(store.get(good.key())).hasValue(good);
    assertThat(errorTexts()).singleElement().asString().contains("Cannot find field: bogus", "keeping the last valid version");

    write("routes.yaml", vs("reviews", 10, 90) + "---\n" + vs("ratings", 20, 80));
    store.rescan();
    assertThat(drainEvents()).containsExactly("UPDATE VirtualService/default/reviews");
    assertThat(store.errors()).isEmpty();
    assertThat(store.get(good.key()).orElseThrow().spec(VirtualService.class).getHttp(0).getRoute(0).getWeight()).isEqualTo(10);
  }

  @Test
  void malformedDocument_keepsEveryPreviousObjectOfTheFile() throws IOException {
    write("entries.yaml", se("one") + "---\n" + se("two"));
    write("other.yaml", se("other"));
    start();
    drainEvents();

    // "two" was removed in the same edit that broke a document: nothing is deleted yet.
    write("entries.yaml", se("one") + "---\nkind: [oops\n");
    write("other.yaml", se("other").replace("STATIC", "DNS"));
    store.rescan();
    assertThat(drainEvents()).containsExactly("UPDATE ServiceEntry/mesh/other");
    assertThat(store.list(Kind.SERVICE_ENTRY)).extracting(Config::name).containsExactly("one", "other", "two");
    assertThat(errorTexts()).singleElement().asString()
        .startsWith("DIR/entries.yaml#1: malformed YAML: while parsing a flow sequence (line 6, column 7)")
        .endsWith("; keeping the file's previous objects until it reads cleanly");

    write("entries.yaml", se("one"));
    store.rescan();
    assertThat(drainEvents()).containsExactly("DELETE ServiceEntry/mesh/two");
    assertThat(store.errors()).isEmpty();
  }

  @Test
  void unknownKind_isReported_andTheRestOfTheFileFlows() throws IOException {
    write("mixed.yaml", """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews}
        ---
        """ + se("one"));
    start();
    assertThat(drainEvents()).containsExactly("ADD ServiceEntry/mesh/one");
    assertThat(errorTexts()).containsExactly("DIR/mixed.yaml#0 Service default/reviews: unknown kind v1 Service");
  }

  @Test
  void typoInKind_keepsTheObjectOfThatName() throws IOException {
    write("vs.yaml", vs("reviews", 50, 50));
    start();
    drainEvents();
    write("vs.yaml", vs("reviews", 60, 40).replace("kind: VirtualService", "kind: VirtualServic"));
    store.rescan();
    assertThat(drainEvents()).isEmpty();
    assertThat(store.list(Kind.VIRTUAL_SERVICE)).hasSize(1);
    assertThat(errorTexts()).containsExactly("DIR/vs.yaml#0 VirtualServic default/reviews: unknown kind "
        + "networking.istio.io/v1 VirtualServic; keeping the last valid version");
  }

  @Test
  void duplicateAcrossFiles_firstSortedPathWins() throws IOException {
    write("b.yaml", se("dup").replace("STATIC", "DNS"));
    write("a.yaml", se("dup"));
    start();
    assertThat(drainEvents()).containsExactly("ADD ServiceEntry/mesh/dup");
    Config winner = store.get(new ConfigKey(Kind.SERVICE_ENTRY, "mesh", "dup")).orElseThrow();
    assertThat(winner.meta().origin()).isEqualTo(dir.resolve("a.yaml") + "#0");
    assertThat(errorTexts()).containsExactly(
        "DIR/b.yaml#0 ServiceEntry mesh/dup: duplicate of the object defined in DIR/a.yaml; ignored");

    Files.delete(dir.resolve("a.yaml"));
    store.rescan();
    assertThat(drainEvents()).containsExactly("UPDATE ServiceEntry/mesh/dup");
    assertThat(store.errors()).isEmpty();
  }

  @Test
  void handlerFailure_doesNotStopOtherHandlersOrTheStore() throws IOException {
    write("one.yaml", se("one"));
    store = DirectoryConfigStore.builder(dir, KindRegistry.istio()).watch(false).build();
    store.addHandler(e -> {
      throw new IllegalStateException("boom");
    });
    List<ConfigEvent.Type> seen = new ArrayList<>();
    store.addHandler(e -> seen.add(e.type()));
    store.start();
    assertThat(seen).containsExactly(ConfigEvent.Type.ADD);
    assertThat(store.list(Kind.SERVICE_ENTRY)).hasSize(1);
  }

  @Test
  void start_missingDirectory_fails() {
    DirectoryConfigStore missing = DirectoryConfigStore.builder(dir.resolve("nope"), KindRegistry.istio()).build();
    try {
      assertThatThrownBy(missing::start).isInstanceOf(IOException.class).hasMessageContaining("does not exist");
    } finally {
      missing.close();
    }
  }
}
