package dev.istiod.ca.credentials;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.istiod.ca.testing.MutableClock;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * istiod's readiness waits for this informer: a failed first LIST (here a 403, which the HTTP layer does not
 * retry; under load a timeout) must be retried, not the end of it.
 */
@EnableKubernetesMockClient(crud = true)
class KubeCredentialsRetryTest {
  KubernetesClient client;
  KubernetesMockServer server;

  @Test
  void start_firstListFails_retriesAndSyncs() {
    client.secrets().inNamespace("istio-system").resource(new SecretBuilder().withNewMetadata()
        .withNamespace("istio-system").withName("gw-cert").endMetadata().withType("kubernetes.io/tls")
        .addToData("tls.crt", "").build()).create();
    server.expect().get()
        .withPath("/api/v1/secrets?fieldSelector=type%21%3Dhelm.sh%2Frelease.v1%2Ctype%21%3D"
            + "kubernetes.io%2Fservice-account-token&resourceVersion=0")
        .andReturn(403, "forbidden until the RBAC rules arrive").once();
    try (KubeCredentials credentials = new KubeCredentials(client, p -> { },
        new MutableClock(Instant.parse("2026-11-21T00:00:00Z")))) {
      credentials.start();

      await().atMost(Duration.ofSeconds(30)).until(credentials::hasSynced);
      assertThat(credentials.get("istio-system", "gw-cert")).isPresent();
    }
  }
}
