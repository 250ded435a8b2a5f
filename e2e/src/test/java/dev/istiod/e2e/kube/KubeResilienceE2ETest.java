package dev.istiod.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.istiod.e2e.SynczView;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * istiod against an unreliable control plane: with the API server killed, proxies keep the config they have
 * and istiod keeps running; when it comes back, istiod picks up changes without a restart. And a restarted
 * istiod rebuilds, from the cluster alone, exactly the config every proxy had.
 */
@Tag("e2e")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class KubeResilienceE2ETest {
  @RegisterExtension
  static final KubeCluster cluster = KubeCluster.perClass();

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void apiServerDown_proxiesKeepTheirConfig_andIstiodRecoversWithoutRestart(TestInfo info) {
    try (KubeMesh mesh = KubeMesh.start(cluster, KubeTools.workDir(info), "apiserver-down", 1)) {
      KubeRoutingE2ETest.reviewsV1AndV2(mesh);
      mesh.cluster().apply(KubeYaml.virtualServiceTo("reviews", mesh.namespace(), mesh.host("reviews"), "v1"));
      mesh.awaitTraffic("everyone -> v1", m -> assertThat(m.servedBy("reviews", 10)).containsOnly("reviews-v1"));
      long istiodPid = mesh.istiod().pid();

      mesh.cluster().stop("kube-apiserver");
      assertThat(mesh.cluster().tryKubectl("--request-timeout=2s", "get", "pods").ok()).as("API server down").isFalse();
      assertThat(mesh.servedBy("reviews", 20)).as("traffic with the API server down").containsOnly("reviews-v1");
      assertThat(mesh.istiod().isAlive()).as("istiod survives losing the API server").isTrue();

      mesh.cluster().restart();
      mesh.cluster().apply(KubeYaml.virtualServiceTo("reviews", mesh.namespace(), mesh.host("reviews"), "v2"));
      mesh.awaitTraffic("a change made after the API server returned reaches Envoy", m ->
          assertThat(m.servedBy("reviews", 10)).containsOnly("reviews-v2"));

      assertThat(mesh.istiod().pid()).as("istiod was not restarted").isEqualTo(istiodPid);
      mesh.assertNoRejects();
    }
  }

  @Test
  void istiodRestart_givesTheProxyTheSameConfig(TestInfo info) {
    try (KubeMesh mesh = KubeMesh.start(cluster, KubeTools.workDir(info), "istiod-restart", 1)) {
      KubeRoutingE2ETest.reviewsV1AndV2(mesh);
      mesh.cluster().apply(KubeYaml.virtualServiceTo("reviews", mesh.namespace(), mesh.host("reviews"), "v2"));
      mesh.awaitTraffic("everyone -> v2", m -> assertThat(m.servedBy("reviews", 10)).containsOnly("reviews-v2"));
      mesh.assertNoRejects();
      String istiodBefore = configHash(mesh.istiod().configDump(mesh.client().proxyId()).body());
      String envoyBefore = configHash(mesh.envoy().admin("/config_dump").body());
      long oldPid = mesh.istiod().pid();

      mesh.restartIstiod();
      assertThat(mesh.istiod().pid()).isNotEqualTo(oldPid);
      await("the client reconnected to the new istiod and acked its config").atMost(KubeMesh.CONVERGENCE_BOUND)
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(() -> {
            JsonNode proxy = SynczView.entryFor(mesh.istiod().syncz(), mesh.client().proxyId());
            assertThat(SynczView.unacked(proxy)).isEmpty();
          });

      assertThat(configHash(mesh.istiod().configDump(mesh.client().proxyId()).body()))
          .as("hash of istiod's config_dump for the client, without versions and timestamps")
          .isEqualTo(istiodBefore);
      assertThat(mesh.servedBy("reviews", 10)).containsOnly("reviews-v2");
      await("Envoy holds the same config as before").atMost(KubeMesh.CONVERGENCE_BOUND)
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(() -> assertThat(configHash(mesh.envoy().admin("/config_dump").body()))
              .as("hash of Envoy's config_dump, without versions and timestamps").isEqualTo(envoyBefore));
      mesh.assertNoRejects();
    }
  }

  /**
   * SHA-256 of a config dump with what legitimately differs between two istiods removed: version strings and
   * update times. Object keys are sorted; the order of resources within a dump's top-level lists (clusters,
   * listeners, route configurations) is not part of the config, the order inside a resource is.
   */
  static String configHash(String dump) {
    try {
      JsonNode canonical = canonical(JSON.readTree(dump), 0);
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(JSON.writeValueAsString(canonical).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (IOException e) {
      throw new UncheckedIOException("not a JSON config dump: " + dump, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode canonical(JsonNode node, int depth) throws IOException {
    if (node.isObject()) {
      ObjectNode out = JSON.createObjectNode();
      TreeMap<String, JsonNode> sorted = new TreeMap<>();
      node.properties().forEach(e -> sorted.put(e.getKey(), e.getValue()));
      for (var e : sorted.entrySet()) {
        String key = e.getKey().toLowerCase(Locale.ROOT).replace("_", "");
        if (key.equals("versioninfo") || key.equals("lastupdated")) {
          continue;
        }
        out.set(e.getKey(), canonical(e.getValue(), depth + 1));
      }
      return out;
    }
    if (node.isArray()) {
      List<JsonNode> items = new ArrayList<>();
      for (JsonNode item : node) {
        items.add(canonical(item, depth + 1));
      }
      // The dump's configs[] (depth 1) and each config's resource lists (depth 3) are unordered sets.
      if (depth <= 3) {
        items.sort(Comparator.comparing(JsonNode::toString));
      }
      ArrayNode out = JSON.createArrayNode();
      items.forEach(out::add);
      return out;
    }
    return node;
  }
}
