package dev.istiod.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.istiod.ca.pki.Pem;
import dev.istiod.ca.pki.SubjectAltNames;
import dev.istiod.ca.testing.TestPki;
import dev.istiod.ca.tls.ServingCertificate;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The wiring istiod uses: which root is chosen, where it persists, what gets published. */
@EnableKubernetesMockClient(crud = true)
class CitadelTest {
  KubernetesClient client;

  @TempDir
  Path tmp;

  private CaOptions options() {
    return CaOptions.builder().rootCaDir(tmp.resolve("cacerts")).localRootDir(tmp.resolve("local-root"))
        .selfSignedKeyType(dev.istiod.ca.pki.KeyType.EC_P256).build();
  }

  private Citadel start(KubernetesClient kube) throws Exception {
    return Citadel.start(options(), kube, () -> "cluster.local", new PrometheusRegistry(), Clock.systemUTC());
  }

  @Test
  void inACluster_theSelfSignedRootIsSharedAndPublished() throws Exception {
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("default").endMetadata().build())
        .create();
    String firstRoots;
    try (Citadel first = start(client)) {
      assertThat(first.selfSigned()).isTrue();
      assertThat(first.ca().bundle().signingCert().getSubjectX500Principal().getName()).isEqualTo("O=cluster.local");
      assertThat(client.secrets().inNamespace("istio-system").withName("istio-ca-secret").get()).isNotNull();
      firstRoots = first.ca().bundle().rootsPem();
      assertThat(first.rootCertPublisher()).as("nothing publishes before istiod leads").isEmpty();
      try (AutoCloseable publishing = first.startRootCertPublisher()) {
        await().atMost(Duration.ofSeconds(30)).until(() -> firstRoots.equals(publishedRoot("default")));
      }
    }
    try (Citadel restarted = start(client)) {
      assertThat(restarted.ca().bundle().rootsPem()).isEqualTo(firstRoots);
    }
  }

  @Test
  void theRootCertPublisher_stopsWhenClosed_andStartsAgain() throws Exception {
    try (Citadel citadel = start(client)) {
      String roots = citadel.ca().bundle().rootsPem();
      AutoCloseable first = citadel.startRootCertPublisher();
      assertThatThrownBy(citadel::startRootCertPublisher).isInstanceOf(IllegalStateException.class);
      first.close();
      assertThat(citadel.rootCertPublisher()).isEmpty();
      createNamespace("while-stopped");
      try (AutoCloseable again = citadel.startRootCertPublisher()) {
        await().atMost(Duration.ofSeconds(30)).until(() -> roots.equals(publishedRoot("while-stopped")));
      }
    }
  }

  private void createNamespace(String name) {
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
  }

  private String publishedRoot(String namespace) {
    ConfigMap cm = client.configMaps().inNamespace(namespace).withName("istio-ca-root-cert").get();
    return cm == null || cm.getData() == null ? null : cm.getData().get("root-cert.pem");
  }

  @Test
  void withoutACluster_theRootLivesInTheLocalDirectory() throws Exception {
    String roots;
    try (Citadel first = start(null)) {
      roots = first.ca().bundle().rootsPem();
      assertThat(first.rootCertPublisher()).isEmpty();
      assertThatThrownBy(first::startRootCertPublisher).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("no cluster");
      assertThat(first.authenticators().list()).extracting(a -> a.type()).containsExactly("ClientCertAuthenticator");
    }
    try (Citadel restarted = start(null)) {
      assertThat(restarted.ca().bundle().rootsPem()).isEqualTo(roots);
    }
    assertThat(tmp.resolve("local-root/current/ca-cert.pem")).isRegularFile();
  }

  @Test
  void aPluggedCa_winsOverTheSelfSignedRoot() throws Exception {
    TestPki.Hierarchy h = TestPki.hierarchy(Instant.now(), Duration.ofDays(30));
    Path dir = Files.createDirectories(tmp.resolve("cacerts"));
    Files.writeString(dir.resolve("ca-cert.pem"), Pem.encode(h.intermediate()));
    Files.writeString(dir.resolve("ca-key.pem"), Pem.encodeKey(h.intermediateKeys().getPrivate()));
    Files.writeString(dir.resolve("root-cert.pem"), Pem.encode(h.root()));
    Files.writeString(dir.resolve("cert-chain.pem"), Pem.encode(h.intermediate()));

    try (Citadel citadel = start(client)) {
      assertThat(citadel.selfSigned()).isFalse();
      assertThat(citadel.ca().bundle().roots()).containsExactly(h.root());
      assertThat(client.secrets().inNamespace("istio-system").withName("istio-ca-secret").get()).isNull();

      ServingCertificate serving = citadel.startServingCertificate(List.of("istiod.istio-system.svc"));
      assertThat(serving.get().chain()).containsExactly(serving.get().leaf(), h.intermediate());
      assertThat(SubjectAltNames.dnsNames(serving.get().leaf())).containsExactly("istiod.istio-system.svc");
      assertThat(serving.notAfter()).isEqualTo(h.intermediate().getNotAfter().toInstant());
    }
  }

  @Test
  void anIncompletePluggedCa_stopsStartUp() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("cacerts"));
    Files.writeString(dir.resolve("ca-cert.pem"), "x");

    assertThatThrownBy(() -> start(null))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("ca-key.pem, root-cert.pem, cert-chain.pem");
  }
}
