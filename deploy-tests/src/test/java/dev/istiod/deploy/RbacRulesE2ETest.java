package dev.istiod.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * No more privilege than istiod uses: with any one rule of the chart's ClusterRole or Role taken away, istiod
 * (a local process with the chart's ServiceAccount token) runs into a refusal. Rules that serve features whose
 * scenarios are not in this test yet are reported as skipped, with the feature named, until they are.
 */
@Tag("e2e")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RbacRulesE2ETest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NS = Repo.ISTIO_NAMESPACE;
  private static final String CLUSTER_ROLE = "istiod-clusterrole-istio-system";
  private static final String ROLE = "istiod";

  /** Rules the start-up path cannot exercise, by {@link Rule#key()}, with what would. */
  private static final Map<String, String> EXERCISED_ELSEWHERE = Map.of(
      "ClusterRole [mutatingwebhookconfigurations] [get, list, watch, update]",
      "the webhook configuration controller (caBundle patching)",
      "ClusterRole [validatingwebhookconfigurations] [get, list, watch, update]",
      "the webhook configuration controller (caBundle, failurePolicy)",
      "ClusterRole [tokenreviews] [create]", "a proxy asking the CA for a certificate with its token",
      "ClusterRole [subjectaccessreviews] [create]", "gateway SDS (credentialName)",
      "ClusterRole [secrets] [get, list, watch]", "gateway SDS (credentialName Secrets)",
      "Role [gateways] [create]", "the validation webhook readiness check (dry-run create)",
      "Role [secrets] [istio-ca-secret] [get, update]",
      "rotation of the self-signed root (update); get is also granted by the ClusterRole's Secret read",
      "Role [leases] [get, create, update, patch]", "leader election of the singleton controllers");

  /** One rule of the chart's ClusterRole or Role, as rendered with default values. */
  record Rule(String kind, int index, List<String> resources, List<String> resourceNames, List<String> verbs) {
    String key() {
      return kind + " " + resources + (resourceNames.isEmpty() ? "" : " " + resourceNames) + " " + verbs;
    }

    @Override
    public String toString() {
      return key();
    }
  }

  private TestCluster cluster;
  private Path work;
  private Path kubeconfig;

  static List<Rule> rules() {
    List<ObjectNode> rendered = Manifests.parse(Helm.template("istiod").orFail().stdout());
    List<Rule> rules = new ArrayList<>();
    for (String kind : List.of("ClusterRole", "Role")) {
      JsonNode role = Manifests.ofKind(rendered, kind).getFirst();
      for (int i = 0; i < role.get("rules").size(); i++) {
        JsonNode rule = role.get("rules").get(i);
        rules.add(new Rule(kind, i, texts(rule.path("resources")), texts(rule.path("resourceNames")),
            texts(rule.path("verbs"))));
      }
    }
    return rules;
  }

  @BeforeAll
  void installCharts() {
    work = Repo.workDir("RbacRulesE2ETest");
    cluster = TestCluster.start(work.resolve("cluster"));
    cluster.kubectl(null, "create", "namespace", NS).orFail();
    for (String chart : List.of("base", "istiod")) {
      Command.Result installed = Helm.run(cluster.clientEnv(),
          List.of("install", chart, Repo.chart(chart).toString(), "-n", NS));
      assertThat(installed.ok()).as(installed::describe).isTrue();
    }
    String token = cluster.kubectl(null, "create", "token", "istiod", "-n", NS, "--duration=2h").orFail()
        .stdout().strip();
    kubeconfig = work.resolve("istiod-sa.kubeconfig");
    Repo.write(kubeconfig, """
        apiVersion: v1
        kind: Config
        clusters:
        - name: test
          cluster: {server: "%s", certificate-authority: "%s"}
        users:
        - name: istiod
          user: {token: "%s"}
        contexts:
        - name: istiod
          context: {cluster: test, user: istiod}
        current-context: istiod
        """.formatted(cluster.apiServerUrl(), cluster.caCertificate(), token));
  }

  @AfterAll
  void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rules")
  void istiodNeedsTheRule(Rule rule) {
    String elsewhere = EXERCISED_ELSEWHERE.get(rule.key());
    Assumptions.assumeTrue(elsewhere == null, () -> "not exercised by istiod's start-up; needed by " + elsewhere);

    String name = rule.kind().equals("Role") ? ROLE : CLUSTER_ROLE;
    ObjectNode original = live(rule.kind(), name);
    ObjectNode without = original.deepCopy();
    ((ArrayNode) without.get("rules")).remove(rule.index());
    replace(without);
    // What istiod creates at start-up is gone, so that creating it (not just reading it) is needed again.
    cluster.kubectl(null, "delete", "secret", "istio-ca-secret", "-n", NS, "--ignore-not-found").orFail();
    cluster.kubectl(null, "delete", "configmap", "istio-ca-root-cert", "-n", "default",
        "--ignore-not-found").orFail();
    Path dir = work.resolve("rule-" + rule.kind() + "-" + rule.index());
    Repo.write(dir.resolve("removed-rule.txt"), rule.key() + "\n");
    Map<String, String> env = Map.of("POD_NAMESPACE", NS, "POD_NAME", "istiod-local", "REVISION", "default",
        "SERVICE_ACCOUNT", "istiod", "ISTIOD_LOCAL_CA_DIR", dir.resolve("unused-ca").toString());
    try (LocalIstiod istiod = LocalIstiod.start(kubeconfig, env, dir)) {
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
          .untilAsserted(() -> assertThat(istiod.log())
              .as("istiod's log without %s (in %s)", rule.key(), dir).containsIgnoringCase("forbidden"));
    } finally {
      replace(original);
    }
  }

  private ObjectNode live(String kind, String name) {
    Command.Result result = cluster.kubectl(null, "get", kind.toLowerCase(), name, "-n", NS, "-o", "json").orFail();
    try {
      ObjectNode object = (ObjectNode) JSON.readTree(result.stdout());
      ObjectNode metadata = (ObjectNode) object.get("metadata");
      metadata.remove(List.of("resourceVersion", "uid", "creationTimestamp", "managedFields"));
      return object;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void replace(ObjectNode object) {
    cluster.kubectl(object.toString(), "replace", "-f", "-").orFail();
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(node -> out.add(node.asText()));
    return List.copyOf(out);
  }
}
