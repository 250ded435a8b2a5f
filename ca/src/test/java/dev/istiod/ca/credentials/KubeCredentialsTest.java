package dev.istiod.ca.credentials;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.istiod.ca.testing.MutableClock;
import dev.istiod.model.ConfigKey;
import dev.istiod.model.Credential;
import dev.istiod.model.Kind;
import dev.istiod.model.PushRequest;
import dev.istiod.model.TriggerReason;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class KubeCredentialsTest {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final String CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  static final String KEY = "-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n";

  KubernetesClient client;
  KubernetesMockServer server;

  final List<PushRequest> pushes = new CopyOnWriteArrayList<>();
  final List<SubjectAccessReview> reviews = new CopyOnWriteArrayList<>();
  final MutableClock clock = new MutableClock(Instant.parse("2026-11-21T00:00:00Z"));
  KubeCredentials credentials;

  @BeforeEach
  void start() {
    // The API server's answer: only istio-system/istio-ingressgateway may list secrets, in its namespace.
    server.expect().post().withPath("/apis/authorization.k8s.io/v1/subjectaccessreviews").andReply(201, req -> {
      SubjectAccessReview r = Serialization.unmarshal(req.getUtf8Body(), SubjectAccessReview.class);
      reviews.add(r);
      var attrs = r.getSpec().getResourceAttributes();
      boolean allowed = r.getSpec().getUser().equals("system:serviceaccount:istio-system:istio-ingressgateway")
          && "istio-system".equals(attrs.getNamespace()) && "list".equals(attrs.getVerb())
          && "secrets".equals(attrs.getResource());
      return new SubjectAccessReviewBuilder(r).withNewStatus().withAllowed(allowed)
          .withReason(allowed ? "RBAC: allowed" : "no RBAC policy matched").endStatus().build();
    }).always();
    credentials = new KubeCredentials(client, pushes::add, clock);
    credentials.start();
    await().atMost(WAIT).until(credentials::hasSynced);
  }

  @AfterEach
  void stop() {
    credentials.close();
  }

  Secret secret(String ns, String name, String type, Map<String, String> data) {
    Map<String, String> b64 = new java.util.HashMap<>();
    data.forEach((k, v) -> b64.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    return new SecretBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata()
        .withType(type).withData(b64).build();
  }

  Secret create(Secret s) {
    return client.secrets().inNamespace(s.getMetadata().getNamespace()).resource(s).create();
  }

  static PushRequest secretPush(String ns, String name) {
    return PushRequest.secrets(Set.of(new ConfigKey(Kind.SECRET, ns, name)));
  }

  @Test
  void tlsAndGenericSecrets_areReadWithTheirDataDecoded() {
    create(secret("istio-system", "tls-cred", "kubernetes.io/tls", Map.of("tls.crt", CERT, "tls.key", KEY)));
    create(secret("istio-system", "generic-cred", "Opaque", Map.of("cert", CERT, "key", KEY, "cacert", CERT)));

    await().atMost(WAIT).until(() -> credentials.get("istio-system", "generic-cred").isPresent());
    await().atMost(WAIT).until(() -> credentials.get("istio-system", "tls-cred").isPresent());

    Credential.KeyCertificate tls = credentials.get("istio-system", "tls-cred").orElseThrow().keyCertificate();
    assertThat(tls.certificateChain().toStringUtf8()).isEqualTo(CERT);
    assertThat(tls.privateKey().toStringUtf8()).isEqualTo(KEY);
    Credential generic = credentials.get("istio-system", "generic-cred").orElseThrow();
    assertThat(generic.caCertificate().caCertificates().toStringUtf8()).isEqualTo(CERT);
    assertThat(credentials.get("istio-system", "absent")).isEmpty();
    assertThat(credentials.get("other", "tls-cred")).as("namespaced").isEmpty();
  }

  @Test
  void serviceAccountTokens_areNeverCredentials() {
    create(secret("istio-system", "sa-token", "kubernetes.io/service-account-token", Map.of("token", "abc")));
    create(secret("istio-system", "marker", "Opaque", Map.of("cert", CERT, "key", KEY)));
    await().atMost(WAIT).until(() -> credentials.get("istio-system", "marker").isPresent());

    assertThat(credentials.get("istio-system", "sa-token")).isEmpty();
    assertThat(pushes).doesNotContain(secretPush("istio-system", "sa-token"));
  }

  @Test
  void informer_asksTheApiServerToLeaveOutHelmReleasesAndServiceAccountTokens() throws Exception {
    List<String> secretLists = new java.util.ArrayList<>();
    for (var r = server.takeRequest(1, java.util.concurrent.TimeUnit.SECONDS); r != null;
        r = server.takeRequest(1, java.util.concurrent.TimeUnit.SECONDS)) {
      if (r.getPath().startsWith("/api/v1/secrets")) {
        secretLists.add(java.net.URLDecoder.decode(r.getPath(), StandardCharsets.UTF_8));
      }
    }
    assertThat(secretLists).isNotEmpty().allSatisfy(path -> assertThat(path)
        .contains("type!=helm.sh/release.v1").contains("type!=kubernetes.io/service-account-token"));
  }

  @Test
  void secretChanges_pushTheSecretIncrementally_butMetadataOnlyUpdatesDoNot() {
    Secret s = create(secret("istio-system", "cred", "kubernetes.io/tls", Map.of("tls.crt", CERT, "tls.key", KEY)));
    await().atMost(WAIT).until(() -> pushes.size() == 1);
    PushRequest added = pushes.get(0);
    assertThat(added.full()).isFalse();
    assertThat(added.reasons()).containsExactly(TriggerReason.SECRET);
    assertThat(added.configsUpdated()).containsExactly(new ConfigKey(Kind.SECRET, "istio-system", "cred"));

    client.secrets().inNamespace("istio-system").withName("cred")
        .edit(x -> new SecretBuilder(x).editMetadata().addToAnnotations("touched", "yes").endMetadata().build());
    client.secrets().inNamespace("istio-system").withName("cred").edit(x -> new SecretBuilder(x)
        .addToData("tls.crt", Base64.getEncoder().encodeToString("NEW".getBytes(StandardCharsets.UTF_8))).build());
    await().atMost(WAIT).until(() -> credentials.get("istio-system", "cred").orElseThrow()
        .keyCertificate().certificateChain().toStringUtf8().equals("NEW"));
    await().atMost(WAIT).until(() -> pushes.size() >= 2);
    assertThat(pushes).as("the annotation alone pushed nothing").hasSize(2);

    client.secrets().inNamespace("istio-system").withName("cred").delete();
    await().atMost(WAIT).until(() -> pushes.size() == 3);
    assertThat(credentials.get("istio-system", "cred")).isEmpty();
    assertThat(s.getMetadata().getName()).isEqualTo("cred");
  }

  @Test
  void authorize_asksTheApiServer_forListSecretsInTheProxysNamespace() {
    assertThat(credentials.authorize("istio-ingressgateway", "istio-system").allowed()).isTrue();
    var denied = credentials.authorize("default", "istio-system");
    assertThat(denied.allowed()).isFalse();
    assertThat(denied.reason()).contains("default/istio-system is not authorized to read secrets");

    SubjectAccessReview first = reviews.get(0);
    assertThat(first.getSpec().getUser()).isEqualTo("system:serviceaccount:istio-system:istio-ingressgateway");
    assertThat(first.getSpec().getResourceAttributes().getVerb()).isEqualTo("list");
    assertThat(first.getSpec().getResourceAttributes().getResource()).isEqualTo("secrets");
  }

  @Test
  void authorize_cachesAnswers_refusalsForAMinute_grantsForFive() {
    credentials.authorize("istio-ingressgateway", "istio-system");
    credentials.authorize("default", "istio-system");
    credentials.authorize("istio-ingressgateway", "istio-system");
    credentials.authorize("default", "istio-system");
    assertThat(reviews).hasSize(2);

    clock.advance(Duration.ofSeconds(61));
    credentials.authorize("istio-ingressgateway", "istio-system");
    credentials.authorize("default", "istio-system");
    assertThat(reviews).as("only the refusal expired").hasSize(3);

    clock.advance(Duration.ofMinutes(5));
    credentials.authorize("istio-ingressgateway", "istio-system");
    assertThat(reviews).hasSize(4);
  }

  @Test
  void toString_ofACredential_namesKeysOnly() {
    create(secret("istio-system", "cred", "kubernetes.io/tls", Map.of("tls.crt", CERT, "tls.key", KEY)));
    await().atMost(WAIT).until(() -> credentials.get("istio-system", "cred").isPresent());

    assertThat(credentials.get("istio-system", "cred").orElseThrow().toString())
        .contains("tls.key").doesNotContain("PRIVATE").doesNotContain("secret\n");
  }
}
