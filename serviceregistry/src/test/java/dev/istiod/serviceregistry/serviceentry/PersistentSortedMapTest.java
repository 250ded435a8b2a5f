package dev.istiod.serviceregistry.serviceentry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The persistent map against {@link TreeMap}, and old versions left untouched by newer ones. */
class PersistentSortedMapTest {
  @Test
  void randomPutsAndRemoves_matchATreeMap_atEveryStep() {
    Random random = new Random(42);
    TreeMap<Integer, String> expected = new TreeMap<>();
    PersistentSortedMap<Integer, String> map = PersistentSortedMap.empty();
    for (int step = 0; step < 20_000; step++) {
      int key = random.nextInt(2_000);
      if (random.nextInt(3) == 0) {
        expected.remove(key);
        map = map.without(key);
      } else {
        String value = "v" + step;
        expected.put(key, value);
        map = map.with(key, value);
      }
      if (step % 1_000 == 0) {
        assertThat(map.keys()).containsExactlyElementsOf(expected.keySet());
        assertThat(map.values()).containsExactlyElementsOf(expected.values());
      }
      assertThat(map.size()).isEqualTo(expected.size());
      assertThat(map.get(key)).isEqualTo(expected.get(key));
    }
    assertThat(map.keys()).containsExactlyElementsOf(expected.keySet());
  }

  @Test
  void oldVersions_areNeverChangedByNewerOnes() {
    List<PersistentSortedMap<Integer, Integer>> versions = new ArrayList<>();
    PersistentSortedMap<Integer, Integer> map = PersistentSortedMap.empty();
    for (int i = 0; i < 100; i++) {
      versions.add(map);
      map = map.with(i, i);
    }
    for (int i = 0; i < 100; i += 2) {
      map = map.without(i);
    }

    for (int v = 0; v < 100; v++) {
      assertThat(versions.get(v).size()).isEqualTo(v);
      assertThat(versions.get(v).keys()).containsExactlyElementsOf(
          java.util.stream.IntStream.range(0, v).boxed().toList());
    }
    assertThat(map.size()).isEqualTo(50);
  }

  @Test
  void noChange_returnsTheSameMap() {
    PersistentSortedMap<String, String> map = PersistentSortedMap.<String, String>empty().with("a", "1");

    assertThat(map.with("a", new String("1"))).isNotSameAs(map); // an equal but other value: a new version
    String one = map.get("a");
    assertThat(map.with("a", one)).isSameAs(map);
    assertThat(map.without("b")).isSameAs(map);
    assertThat(map.update("a", v -> v)).isSameAs(map);
    assertThat(map.update("a", v -> null).isEmpty()).isTrue();
  }
}
