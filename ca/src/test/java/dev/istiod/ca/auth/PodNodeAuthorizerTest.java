package dev.istiod.ca.auth;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class PodNodeAuthorizerTest {
  KubernetesClient client;
  private PodNodeAuthorizer authorizer;
  private String ztunnelUid;

  private String pod(String ns, String name, String sa, String node) {
    return client.pods().inNamespace(ns).resource(new PodBuilder()
        .withNewMetadata().withName(name).withNamespace(ns).endMetadata()
        .withNewSpec().withServiceAccountName(sa).withNodeName(node).endSpec().build()).create()
        .getMetadata().getUid();
  }

  @BeforeEach
  void setUp() {
    ztunnelUid = pod("istio-system", "ztunnel-a", "ztunnel", "node-a");
    pod("default", "sleep-1", "sleep", "node-a");
    pod("prod", "payments-1", "payments", "node-b");
    authorizer = new PodNodeAuthorizer(client, Set.of("istio-system/ztunnel"));
    await().atMost(Duration.ofSeconds(30)).until(authorizer::hasSynced);
  }

  @AfterEach
  void tearDown() {
    authorizer.close();
  }

  private Caller ztunnel(String uid) {
    return Caller.ofToken(new SpiffeId("cluster.local", "istio-system", "ztunnel"),
        new KubernetesInfo("istio-system", "ztunnel", "ztunnel-a", uid));
  }

  @Test
  void nodeAgent_mayImpersonateWorkloadsOnItsNode() {
    assertThatCode(() -> authorizer.authorizeImpersonation(ztunnel(ztunnelUid),
        "spiffe://cluster.local/ns/default/sa/sleep")).doesNotThrowAnyException();
  }

  @Test
  void nodeAgent_mayNotImpersonateWorkloadsElsewhere() {
    assertThatThrownBy(() -> authorizer.authorizeImpersonation(ztunnel(ztunnelUid),
        "spiffe://cluster.local/ns/prod/sa/payments")).hasMessageContaining("found on node \"node-a\"");
  }

  @Test
  void staleUid_orUntrustedCaller_isRejected() {
    assertThatThrownBy(() -> authorizer.authorizeImpersonation(ztunnel("old-uid"),
        "spiffe://cluster.local/ns/default/sa/sleep")).hasMessageContaining("UID does not match");
    Caller sleep = Caller.ofToken(new SpiffeId("cluster.local", "default", "sleep"),
        new KubernetesInfo("default", "sleep", "sleep-1", ""));
    assertThatThrownBy(() -> authorizer.authorizeImpersonation(sleep, "spiffe://cluster.local/ns/prod/sa/payments"))
        .hasMessageContaining("not allowed to impersonate");
    assertThatThrownBy(() -> authorizer.authorizeImpersonation(
        Caller.ofCertificate(java.util.List.of("spiffe://cluster.local/ns/istio-system/sa/ztunnel")),
        "spiffe://cluster.local/ns/default/sa/sleep")).isInstanceOf(AuthenticationException.class);
  }
}
