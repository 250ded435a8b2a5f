package dev.istiod.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Merging push requests: one union whatever the path, never a request changed after it was handed out. */
class PushRequestTest {
  private static ConfigKey vs(String name) {
    return new ConfigKey(Kind.VIRTUAL_SERVICE, "default", name);
  }

  private static PushRequest config(Instant start, String... names) {
    Set<ConfigKey> keys = new HashSet<>();
    for (String n : names) {
      keys.add(vs(n));
    }
    return new PushRequest(keys, Set.of(TriggerReason.CONFIG), true, false, start);
  }

  private static PushRequest endpoints(Instant start, String host) {
    return new PushRequest(Set.of(new ConfigKey(Kind.ENDPOINTS, "default", host)), Set.of(TriggerReason.ENDPOINT),
        false, false, start);
  }

  @Test
  void merge_unionOfKeysAndReasons_fullIfEither_earliestStart() {
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    PushRequest merged = endpoints(t0.plusSeconds(5), "a").merge(config(t0, "b"));

    assertThat(merged.configsUpdated()).containsExactlyInAnyOrder(vs("b"), new ConfigKey(Kind.ENDPOINTS, "default", "a"));
    assertThat(merged.reasons()).containsExactlyInAnyOrder(TriggerReason.CONFIG, TriggerReason.ENDPOINT);
    assertThat(merged.full()).isTrue();
    assertThat(merged.forced()).isFalse();
    assertThat(merged.start()).isEqualTo(t0);
  }

  @Test
  void merge_whenOneHoldsAllTheOthersKeys_sharesItsSetInsteadOfCopying() {
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    PushRequest big = config(t0, "a", "b", "c");
    PushRequest small = new PushRequest(Set.of(vs("b")), Set.of(TriggerReason.SERVICE), false, true, t0.minusSeconds(1));

    PushRequest merged = small.merge(big);

    assertThat(merged.configsUpdated()).isSameAs(big.configsUpdated());
    assertThat(merged.reasons()).containsExactlyInAnyOrder(TriggerReason.CONFIG, TriggerReason.SERVICE);
    assertThat(merged.full()).isTrue();
    assertThat(merged.forced()).isTrue();
    assertThat(merged.start()).isEqualTo(t0.minusSeconds(1));
  }

  @Test
  void merger_equalsTheChainOfMerges() {
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    List<PushRequest> requests = IntStream.range(0, 500)
        .mapToObj(i -> i % 3 == 0 ? endpoints(t0.plusMillis(1000 - i), "h" + (i % 50)) : config(t0.plusMillis(i), "vs" + i))
        .toList();

    PushRequest.Merger merger = new PushRequest.Merger();
    requests.forEach(merger::add);
    PushRequest chained = requests.stream().reduce(PushRequest::merge).orElseThrow();

    assertThat(merger.requests()).isEqualTo(500);
    assertThat(merger.full()).isTrue();
    assertThat(merger.build()).isEqualTo(chained);
    assertThat(merger.build().start()).isEqualTo(t0.plusMillis(1));
  }

  @Test
  void merger_ofOneRequest_isThatRequest() {
    PushRequest only = config(Instant.EPOCH, "a");
    PushRequest.Merger merger = new PushRequest.Merger().add(only);

    assertThat(merger.build()).isSameAs(only);
    assertThat(merger.full()).isTrue();
  }

  @Test
  void merger_laterAdds_neverChangeARequestAlreadyBuilt() {
    PushRequest.Merger merger = new PushRequest.Merger().add(config(Instant.EPOCH, "a")).add(config(Instant.EPOCH, "b"));
    PushRequest first = merger.build();

    merger.add(config(Instant.EPOCH, "c"));

    assertThat(first.configsUpdated()).containsExactlyInAnyOrder(vs("a"), vs("b"));
    assertThat(merger.build().configsUpdated()).containsExactlyInAnyOrder(vs("a"), vs("b"), vs("c"));
    assertThatThrownBy(() -> first.configsUpdated().add(vs("d"))).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void merger_empty_refusesToBuild() {
    PushRequest.Merger merger = new PushRequest.Merger();

    assertThat(merger.isEmpty()).isTrue();
    assertThat(merger.full()).isFalse();
    assertThatThrownBy(merger::build).isInstanceOf(IllegalStateException.class);
  }
}
