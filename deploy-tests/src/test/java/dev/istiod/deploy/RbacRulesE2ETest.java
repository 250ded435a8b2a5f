package dev.istiod.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Exactly the privilege istiod uses. With the chart's ClusterRole and Role as installed, istiod (a local process
 * with the chart's ServiceAccount token) does its Kubernetes, CA, webhook and SDS work without one refusal; with
 * any one rule taken away, it runs into a refusal, at start-up or when a gateway calls it for a certificate and
 * its credentialName Secret. A rule no scenario here reaches is reported as skipped, with what would need it.
 */
@Tag("e2e")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RbacRulesE2ETest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NS = Repo.ISTIO_NAMESPACE;
  private static final String CLUSTER_ROLE = "istiod-clusterrole-istio-system";
  private static final String ROLE = "istiod";

  /**
   * Rules that neither istiod's start-up nor the proxy scenarios here exercise, by {@link Rule#key()}, with what
   * would need them. Empty now: leases (leader election at start-up), webhook configurations (the caBundle
   * patcher and validation controller at start-up), Secrets (the credentialName informer at start-up),
   * tokenreviews (a CA request with a token), subjectaccessreviews (a gateway's SDS request) and the
   * istio-ca-secret update (a root rotation, made due quickly by {@link #RULE_ENV}) are all proven needed.
   */
  private static final Map<String, String> EXERCISED_ELSEWHERE = Map.of();

  /**
   * Extra environment for istiod while one rule is removed, to bring the work that needs it within the test's
   * bound: a self-signed root living 40 s is due for rotation (its last 20%) after 32 s, checked every 2 s.
   */
  private static final Map<String, Map<String, String>> RULE_ENV = Map.of(
      "Role [secrets] [istio-ca-secret] [get, update]", Map.of(
          "CITADEL_SELF_SIGNED_CA_CERT_TTL", "40s",
          "CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL", "2s",
          "CITADEL_ENABLE_JITTER_FOR_ROOT_CERT_ROTATOR", "false"));

  private static final String GATEWAY_NS = "gateways";
  private static final String GATEWAY_SA = "ingress";
  private static final String CREDENTIAL = "gw-credential";
  private static final Duration CALL_BOUND = Duration.ofSeconds(20);

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
    installGateway();
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
    Assumptions.assumeTrue(elsewhere == null, () -> "not exercised here; needed by " + elsewhere);

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
    Map<String, String> env = new java.util.HashMap<>(istiodEnv(dir));
    env.putAll(RULE_ENV.getOrDefault(rule.key(), Map.of()));
    try (LocalIstiod istiod = LocalIstiod.start(kubeconfig, env, dir)) {
      boolean[] driven = {false};
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
          .untilAsserted(() -> {
            // Some rules only matter when a proxy calls: once istiod serves, call it as a gateway would.
            // The CA may still be creating the root just after /ready (it starts on its own thread): call once it
            // has.
            if (!driven[0] && istiod.ready()) {
              driven[0] = callAsGateway(istiod);
            }
            assertThat(istiod.log()).as("istiod's log without %s (in %s)", rule.key(), dir)
                .containsIgnoringCase("forbidden");
          });
    } finally {
      replace(original);
    }
  }

  /**
   * With the chart's RBAC as installed, every path istiod takes against the cluster works, and its log never shows
   * a refusal: leader election, root-cert publishing, webhook caBundle patching, the credentialName informer, a
   * CA request authenticated by TokenReview and a gateway's SDS request authorized by SubjectAccessReview.
   */
  @Test
  void withTheChartsRbac_kubernetesCaWebhookAndSdsPaths_allWork_andNothingIsForbidden() throws Exception {
    Path dir = work.resolve("full-rbac");
    Repo.write(dir.resolve("scenario.txt"), "the chart's ClusterRole and Role as installed\n");
    // A fresh root with the default lifetime (a rule's run may have left a short-lived one), created by istiod.
    cluster.kubectl(null, "delete", "secret", "istio-ca-secret", "-n", NS, "--ignore-not-found").orFail();
    try (LocalIstiod istiod = LocalIstiod.start(kubeconfig, istiodEnv(dir), dir)) {
      istiod.awaitReady(Duration.ofSeconds(90));
      await("istiod-local holds the namespace controller Lease").atMost(Duration.ofSeconds(60))
          .until(() -> cluster.kubectl(null, "get", "lease", "istio-namespace-controller-election", "-n", NS, "-o",
              "jsonpath={.spec.holderIdentity}").stdout().strip(), "istiod-local"::equals);
      String root = awaitRootCert(GATEWAY_NS);
      cluster.kubectl(null, "create", "namespace", "made-later").orFail();
      assertThat(awaitRootCert("made-later")).isEqualTo(root);
      await("the injector's and validator's caBundles patched").atMost(Duration.ofSeconds(60))
          .untilAsserted(() -> {
            for (String kind : List.of("mutatingwebhookconfigurations", "validatingwebhookconfigurations")) {
              String bundles = cluster.kubectl(null, "get", kind, "-l", "istio.io/rev=default", "-o",
                  "jsonpath={range .items[*].webhooks[*]}{.clientConfig.caBundle}{\"\\n\"}{end}").stdout();
              assertThat(bundles.lines().toList()).as(kind).isNotEmpty().allSatisfy(b -> assertThat(
                  new String(Base64.getDecoder().decode(b), StandardCharsets.UTF_8)).isEqualTo(root));
            }
          });

      String token = gatewayToken();
      try (MeshClients clients = MeshClients.connect(istiod.secureGrpcPort(), root)) {
        List<String> chain = clients.requestCertificate(token, CALL_BOUND);
        assertThat(chain).as("certificate chain issued to the gateway").hasSizeGreaterThanOrEqualTo(2);
        assertThat(uriSans(chain.getFirst())).containsExactly("spiffe://cluster.local/ns/gateways/sa/ingress");
        DiscoveryResponse sds = clients.requestSecret(token, "ingress-1", GATEWAY_NS, GATEWAY_SA,
            "kubernetes://" + CREDENTIAL, CALL_BOUND).orElseThrow(() -> new AssertionError(
                "no SDS answer within " + CALL_BOUND + "; istiod's log:\n" + istiod.logTail(40)));
        assertThat(sds.getResourcesList()).as("secrets sent").hasSize(1);
        assertThat(sds.getResources(0).getTypeUrl()).isEqualTo(MeshClients.SECRET_TYPE);
      }
      assertThat(istiod.log()).as("istiod's log (%s)", dir).doesNotContainIgnoringCase("forbidden")
          .doesNotContain(token);
    }
  }

  private Map<String, String> istiodEnv(Path dir) {
    return Map.of("POD_NAMESPACE", NS, "POD_NAME", "istiod-local", "REVISION", "default",
        "SERVICE_ACCOUNT", "istiod", "ISTIOD_LOCAL_CA_DIR", dir.resolve("unused-ca").toString());
  }

  /** A gateway's namespace and service account, allowed to read its Secrets (as the gateway chart grants). */
  private void installGateway() {
    Path key = work.resolve("gw.key");
    Path cert = work.resolve("gw.crt");
    Command.run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-days", "2", "-subj", "/CN=gw.example.com", "-keyout", key.toString(), "-out", cert.toString()),
        Map.of(), null, Duration.ofSeconds(30)).orFail();
    cluster.kubectl(null, "create", "namespace", GATEWAY_NS).orFail();
    cluster.kubectl(null, "create", "serviceaccount", GATEWAY_SA, "-n", GATEWAY_NS).orFail();
    cluster.kubectl(null, "create", "role", "ingress-sds", "-n", GATEWAY_NS, "--verb=get,watch,list",
        "--resource=secrets").orFail();
    cluster.kubectl(null, "create", "rolebinding", "ingress-sds", "-n", GATEWAY_NS, "--role=ingress-sds",
        "--serviceaccount=" + GATEWAY_NS + ":" + GATEWAY_SA).orFail();
    cluster.kubectl(null, "create", "secret", "tls", CREDENTIAL, "-n", GATEWAY_NS, "--cert=" + cert,
        "--key=" + key).orFail();
  }

  private String gatewayToken() {
    return cluster.kubectl(null, "create", "token", GATEWAY_SA, "-n", GATEWAY_NS, "--audience", "istio-ca",
        "--duration=1h").orFail().stdout().strip();
  }

  /**
   * A CA request and an SDS request as the gateway, trusting the root istiod keeps in istio-ca-secret. Their
   * outcome does not matter here: with a rule missing, istiod's log shows the refusal.
   */
  /** Calls istiod's CA and SDS as a gateway would; false when there is no root to trust yet (nothing called). */
  private boolean callAsGateway(LocalIstiod istiod) {
    Command.Result secret = cluster.kubectl(null, "get", "secret", "istio-ca-secret", "-n", NS, "-o",
        "jsonpath={.data.ca-cert\\.pem}");
    if (!secret.ok() || secret.stdout().isBlank()) {
      return false;
    }
    String root = new String(Base64.getDecoder().decode(secret.stdout().strip()), StandardCharsets.UTF_8);
    String token = gatewayToken();
    try (MeshClients clients = MeshClients.connect(istiod.secureGrpcPort(), root)) {
      try {
        clients.requestCertificate(token, CALL_BOUND);
      } catch (StatusRuntimeException refused) {
        // e.g. UNAUTHENTICATED when istiod may not review tokens
      }
      try {
        clients.requestSecret(token, "ingress-1", GATEWAY_NS, GATEWAY_SA, "kubernetes://" + CREDENTIAL, CALL_BOUND);
      } catch (StatusRuntimeException refused) {
        // same
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    return true;
  }

  private String awaitRootCert(String namespace) {
    return await("ConfigMap " + namespace + "/istio-ca-root-cert").atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> {
          Command.Result result = cluster.kubectl(null, "get", "configmap", "istio-ca-root-cert", "-n", namespace,
              "-o", "jsonpath={.data.root-cert\\.pem}");
          return result.ok() ? result.stdout() : "";
        }, pem -> pem.contains("BEGIN CERTIFICATE"));
  }

  private static List<String> uriSans(String pem) throws CertificateException {
    X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    List<String> uris = new ArrayList<>();
    if (cert.getSubjectAlternativeNames() != null) {
      for (List<?> san : cert.getSubjectAlternativeNames()) {
        if (Integer.valueOf(6).equals(san.get(0))) {
          uris.add((String) san.get(1));
        }
      }
    }
    return uris;
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
