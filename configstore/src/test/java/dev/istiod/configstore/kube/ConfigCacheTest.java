package dev.istiod.configstore.kube;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.istiod.configstore.ConfigDecoder;
import dev.istiod.configstore.DecodeMode;
import dev.istiod.configstore.KindRegistry;
import dev.istiod.model.ConfigEvent;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.Kind;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which apiserver states become events: the store's rules without a server. */
class ConfigCacheTest {
  private static final KindRegistry REGISTRY = KindRegistry.istio();
  private static final ConfigKey KEY = new ConfigKey(Kind.DESTINATION_RULE, "ns", "reviews");

  private final ConfigCache cache = new ConfigCache(REGISTRY, new ConfigDecoder(REGISTRY, DecodeMode.LENIENT));

  private static JsonNode dr(String resourceVersion, String host, String extraMeta) {
    try {
      return new YAMLMapper().readTree("""
          apiVersion: networking.istio.io/v1
          kind: DestinationRule
          metadata: {name: reviews, namespace: ns, resourceVersion: "%s"%s}
          spec: {host: %s}
          status: {validationMessages: []}
          """.formatted(resourceVersion, extraMeta, host));
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  private Optional<String> upsert(JsonNode object) {
    return cache.upsert(Kind.DESTINATION_RULE, object).map(e -> e.type().name());
  }

  @Test
  void sameResourceVersionTwice_isOneEvent() {
    assertThat(upsert(dr("1", "reviews", ""))).contains("ADD");
    assertThat(upsert(dr("1", "reviews", ""))).isEmpty(); // an informer resync
  }

  @Test
  void metadataOnlyChange_refreshesTheStoredVersionWithoutAnEvent() {
    upsert(dr("1", "reviews", ""));

    assertThat(upsert(dr("2", "reviews", ", generation: 1"))).isEmpty();

    assertThat(cache.get(KEY).orElseThrow().meta().resourceVersion()).isEqualTo("2");
    assertThat(upsert(dr("3", "reviews", ", labels: {team: a}"))).contains("UPDATE");
  }

  @Test
  void specChange_isAnUpdateWithBothVersions() {
    upsert(dr("1", "reviews", ""));

    ConfigEvent e = cache.upsert(Kind.DESTINATION_RULE, dr("2", "ratings", "")).orElseThrow();

    assertThat(e.type()).isEqualTo(ConfigEvent.Type.UPDATE);
    assertThat(e.oldConfig().meta().resourceVersion()).isEqualTo("1");
    assertThat(e.newConfig().meta().resourceVersion()).isEqualTo("2");
  }

  @Test
  void invalidObject_keepsThePreviousVersion_untilDeleted() {
    upsert(dr("1", "reviews", ""));

    assertThat(upsert(dr("2", "\"\"", ""))).isEmpty(); // a DestinationRule needs a host

    assertThat(cache.get(KEY).orElseThrow().meta().resourceVersion()).isEqualTo("1");
    assertThat(cache.errors()).singleElement().satisfies(err -> {
      assertThat(err.source()).isEqualTo("kubernetes");
      assertThat(err.toString()).startsWith("kubernetes DestinationRule ns/reviews: ");
    });
    assertThat(cache.delete(KEY).map(ConfigEvent::type)).contains(ConfigEvent.Type.DELETE);
    assertThat(cache.errors()).isEmpty();
    assertThat(cache.delete(KEY)).isEmpty();
  }

  @Test
  void retainOnly_deletesWhatTheRelistNoLongerHas() {
    upsert(dr("1", "reviews", ""));

    assertThat(cache.retainOnly(Kind.DESTINATION_RULE, Set.of(KEY))).isEmpty();
    assertThat(cache.retainOnly(Kind.VIRTUAL_SERVICE, Set.of())).isEmpty();
    assertThat(cache.retainOnly(Kind.DESTINATION_RULE, Set.of())).extracting(ConfigEvent::key).containsExactly(KEY);
    assertThat(cache.list(Kind.DESTINATION_RULE)).isEmpty();
  }

  @Test
  void listByNamespace_returnsOnlyThatNamespace() {
    upsert(dr("1", "reviews", ""));

    assertThat(cache.list(Kind.DESTINATION_RULE, "ns")).hasSize(1);
    assertThat(cache.list(Kind.DESTINATION_RULE, "n")).isEmpty();
    assertThat(cache.list(Kind.DESTINATION_RULE, "ns2")).isEmpty();
    assertThat(cache.list(Kind.VIRTUAL_SERVICE)).isEmpty();
  }
}
