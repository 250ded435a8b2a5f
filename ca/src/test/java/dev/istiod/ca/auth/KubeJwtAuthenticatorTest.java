package dev.istiod.ca.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.istiod.ca.testing.FakeTokenReviews;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.Metadata;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient
class KubeJwtAuthenticatorTest {
  static KubernetesMockServer server;
  static KubernetesClient client;

  private static FakeTokenReviews reviews;
  private KubeJwtAuthenticator authenticator;

  @BeforeAll
  static void installTokenReviews() {
    reviews = FakeTokenReviews.install(server)
        .token("sleep-token", "default", "sleep", "istio-ca")
        .token("wrong-audience-token", "default", "sleep", "https://kubernetes.default.svc");
  }

  @BeforeEach
  void setUp() {
    reviews.requests().clear();
    authenticator = new KubeJwtAuthenticator(client, "Kubernetes", List.of("istio-ca"), () -> "cluster.local");
  }

  private static AuthRequest request(String authorization, String clusterId) {
    Metadata h = new Metadata();
    if (authorization != null) {
      h.put(AuthRequest.AUTHORIZATION, authorization);
    }
    if (clusterId != null) {
      h.put(AuthRequest.CLUSTER_ID, clusterId);
    }
    return new AuthRequest(Optional.empty(), h, "10.0.0.1:1234");
  }

  @Test
  void validToken_isTheServiceAccountsSpiffeId() throws Exception {
    Caller caller = authenticator.authenticate(request("Bearer sleep-token", null));

    assertThat(caller.identities()).containsExactly("spiffe://cluster.local/ns/default/sa/sleep");
    assertThat(caller.source()).isEqualTo(AuthSource.ID_TOKEN);
    assertThat(caller.kubernetes()).hasValueSatisfying(k -> {
      assertThat(k.podName()).isEqualTo("sleep-pod");
      assertThat(k.podUid()).isEqualTo("sleep-uid");
    });
    assertThat(reviews.requests()).singleElement()
        .satisfies(r -> assertThat(r.getSpec().getAudiences()).containsExactly("istio-ca"));
  }

  @Test
  void ourClusterIdOrNone_useTheLocalCluster() throws Exception {
    assertThat(authenticator.authenticate(request("Bearer sleep-token", "Kubernetes")).identities()).hasSize(1);
    assertThat(authenticator.authenticate(request("Bearer sleep-token", "")).identities()).hasSize(1);
  }

  @Test
  void unknownClusterId_isRejectedWithoutAReview() {
    assertThatThrownBy(() -> authenticator.authenticate(request("Bearer sleep-token", "other-cluster")))
        .hasMessageContaining("client claims to be in cluster \"other-cluster\"");
    assertThat(reviews.requests()).isEmpty();
  }

  @Test
  void wrongAudience_unknownToken_missingHeader_areRejected_andNeverEchoTheToken() {
    assertThatThrownBy(() -> authenticator.authenticate(request("Bearer wrong-audience-token", null)))
        .isInstanceOf(AuthenticationException.class)
        .message().doesNotContain("wrong-audience-token");
    assertThatThrownBy(() -> authenticator.authenticate(request("Bearer forged", null)))
        .isInstanceOf(AuthenticationException.class)
        .message().doesNotContain("forged");
    assertThatThrownBy(() -> authenticator.authenticate(request(null, null)))
        .hasMessageContaining("no bearer token");
    assertThatThrownBy(() -> authenticator.authenticate(request("Basic sleep-token", null)))
        .hasMessageContaining("no bearer token");
  }

  @Test
  void trustDomainComesFromTheMeshAtRequestTime() throws Exception {
    KubeJwtAuthenticator other = new KubeJwtAuthenticator(client, "Kubernetes", List.of("istio-ca"), () -> "corp.example");

    assertThat(other.authenticate(request("Bearer sleep-token", null)).identities())
        .containsExactly("spiffe://corp.example/ns/default/sa/sleep");
  }
}
