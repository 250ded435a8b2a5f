package dev.istiod.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.ca.pki.KeyCertBundle;
import dev.istiod.ca.pki.KeyType;
import dev.istiod.ca.pki.Pem;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The self-signed root is created once and shared: restarts, replicas, and replicas starting together. */
@EnableKubernetesMockClient(crud = true)
class SelfSignedRootStoreTest {
  private static final SelfSignedRoot.RootSpec SPEC =
      new SelfSignedRoot.RootSpec("cluster.local", Duration.ofDays(3650), KeyType.EC_P256, 2048);

  KubernetesClient client;

  @TempDir
  Path dir;

  private KeyCertBundle start(CaRootStore store) throws Exception {
    return SelfSignedRoot.loadOrCreate(store, SPEC, Clock.systemUTC(), Duration.ZERO, Duration.ZERO);
  }

  @Test
  void kube_createsUpstreamsSecret_once() throws Exception {
    KeyCertBundle first = start(new KubeCaRootStore(client, "istio-system"));

    Secret s = client.secrets().inNamespace("istio-system").withName("istio-ca-secret").get();
    assertThat(s.getType()).isEqualTo("istio.io/ca-root");
    assertThat(s.getData()).containsOnlyKeys("ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem", "key.pem");
    assertThat(s.getData().get("cert-chain.pem")).isEmpty();
    assertThat(s.getData().get("key.pem")).isEmpty();
    assertThat(Pem.parseCertificate(decode(s.getData().get("ca-cert.pem")))).isEqualTo(first.signingCert());
    assertThat(Pem.parseCertificate(decode(s.getData().get("root-cert.pem")))).isEqualTo(first.signingCert());
    assertThat(decode(s.getData().get("ca-key.pem"))).startsWith("-----BEGIN EC PRIVATE KEY-----");

    KeyCertBundle restarted = start(new KubeCaRootStore(client, "istio-system"));
    assertThat(restarted.sameCertificates(first)).isTrue();
  }

  @Test
  void kube_replicasStartingTogether_shareOneRoot() throws Exception {
    assertConcurrentStartsAgree(() -> new KubeCaRootStore(client, "istio-system"));
  }

  @Test
  void directory_keepsTheRootAcrossRestarts() throws Exception {
    KeyCertBundle first = start(new DirectoryCaRootStore(dir));
    KeyCertBundle restarted = start(new DirectoryCaRootStore(dir));

    assertThat(restarted.sameCertificates(first)).isTrue();
    assertThat(dir.resolve("current/ca-key.pem")).isRegularFile();
  }

  @Test
  void directory_updatesAreConditional() throws Exception {
    DirectoryCaRootStore store = new DirectoryCaRootStore(dir);
    start(store);
    CaRootStore.Stored read = store.load().orElseThrow();
    CaRootStore.Stored next = new CaRootStore.Stored(read.caCertPem(), read.caKeyPem(), "next bundle", "");

    assertThat(store.update(read, next)).isTrue();
    assertThat(store.update(read, next)).as("stale version").isFalse();
    assertThat(store.load().orElseThrow().rootCertPem()).isEqualTo("next bundle");
  }

  @Test
  void kube_updatesAreConditional() throws Exception {
    KubeCaRootStore store = new KubeCaRootStore(client, "istio-system");
    start(store);
    CaRootStore.Stored read = store.load().orElseThrow();
    CaRootStore.Stored next = new CaRootStore.Stored(read.caCertPem(), read.caKeyPem(), "next bundle", "");

    assertThat(store.update(read, next)).isTrue();
    assertThat(store.update(read, next)).as("stale resourceVersion").isFalse();
    assertThat(store.load().orElseThrow().rootCertPem()).isEqualTo("next bundle");
  }

  @Test
  void directory_replicasStartingTogether_shareOneRoot() throws Exception {
    assertConcurrentStartsAgree(() -> new DirectoryCaRootStore(dir));
  }

  private void assertConcurrentStartsAgree(Callable<CaRootStore> stores) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<KeyCertBundle>> results = new java.util.ArrayList<>();
      for (int i = 0; i < 3; i++) {
        CaRootStore store = stores.call();
        results.add(pool.submit(() -> {
          go.await();
          return start(store);
        }));
      }
      go.countDown();
      KeyCertBundle first = results.get(0).get();
      for (Future<KeyCertBundle> f : results) {
        assertThat(f.get().sameCertificates(first)).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static String decode(String b64) {
    return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
  }
}
