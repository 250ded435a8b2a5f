package dev.istiod.ca.auth;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Authenticates by a Kubernetes service account token (upstream's KubeJWTAuthenticator): the
 * {@code authorization: Bearer} token goes to the API server in a TokenReview with
 * {@code spec.audiences = TOKEN_AUDIENCES} (default {@code istio-ca}); the review must say
 * authenticated, in group {@code system:serviceaccounts}, user
 * {@code system:serviceaccount:<ns>:<sa>}. The caller becomes
 * {@code spiffe://<trust domain>/ns/<ns>/sa/<sa>}.
 *
 * <p>The {@code ClusterID} header picks the cluster whose API server reviews the token: empty or
 * this istiod's cluster id means the local cluster; another id must be a known remote cluster.
 *
 * <p>The token is never logged or put in an error message.
 */
public final class KubeJwtAuthenticator implements Authenticator {
  static final String POD_NAME_KEY = "authentication.kubernetes.io/pod-name";
  static final String POD_UID_KEY = "authentication.kubernetes.io/pod-uid";
  private static final String SA_GROUP = "system:serviceaccounts";

  private final KubernetesClient localClient;
  private final String clusterId;
  private final List<String> audiences;
  private final Supplier<String> trustDomain;
  private final Function<String, KubernetesClient> remoteClients;

  /**
   * @param localClient the client of istiod's own cluster
   * @param clusterId istiod's cluster id ({@code CLUSTER_ID}, default "Kubernetes")
   * @param audiences {@code TOKEN_AUDIENCES}
   * @param trustDomain the mesh config's trust domain, read per request so mesh changes apply
   * @param remoteClients the client for a remote cluster id, or null when unknown
   */
  public KubeJwtAuthenticator(KubernetesClient localClient, String clusterId, List<String> audiences,
      Supplier<String> trustDomain, Function<String, KubernetesClient> remoteClients) {
    this.localClient = Objects.requireNonNull(localClient, "localClient");
    this.clusterId = Objects.requireNonNull(clusterId, "clusterId");
    this.audiences = List.copyOf(audiences);
    this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
    this.remoteClients = Objects.requireNonNull(remoteClients, "remoteClients");
  }

  /** Only the local cluster. */
  public KubeJwtAuthenticator(KubernetesClient localClient, String clusterId, List<String> audiences,
      Supplier<String> trustDomain) {
    this(localClient, clusterId, audiences, trustDomain, id -> null);
  }

  @Override
  public String type() {
    return "KubeJWTAuthenticator";
  }

  @Override
  public Caller authenticate(AuthRequest request) throws AuthenticationException {
    String token = request.bearerToken().orElseThrow(() -> new AuthenticationException(
        "target JWT extraction error: no bearer token exists in HTTP authorization header"));
    String claimed = request.clusterId();
    KubernetesClient client = clientFor(claimed);
    if (client == null) {
      throw new AuthenticationException("client claims to be in cluster \"" + claimed
          + "\", but we only know about local cluster \"" + clusterId + "\"");
    }
    KubernetesInfo info;
    try {
      info = review(client, token);
    } catch (AuthenticationException e) {
      throw new AuthenticationException("failed to validate the JWT from cluster \"" + claimed + "\": "
          + e.getMessage());
    }
    SpiffeId id;
    try {
      id = new SpiffeId(trustDomain.get(), info.namespace(), info.serviceAccount());
    } catch (IllegalArgumentException e) {
      throw new AuthenticationException("failed to parse the JWT: " + e.getMessage());
    }
    return Caller.ofToken(id, info);
  }

  private KubernetesClient clientFor(String claimed) {
    if (claimed.isEmpty() || claimed.equals(clusterId)) {
      return localClient;
    }
    return remoteClients.apply(claimed);
  }

  private KubernetesInfo review(KubernetesClient client, String token) throws AuthenticationException {
    TokenReview request = new TokenReviewBuilder()
        .withNewSpec().withToken(token).withAudiences(audiences.isEmpty() ? null : audiences).endSpec()
        .build();
    TokenReview response;
    try {
      response = client.authentication().v1().tokenReviews().create(request);
    } catch (KubernetesClientException e) {
      throw new AuthenticationException("TokenReview failed with HTTP " + e.getCode() + ": " + statusMessage(e));
    }
    TokenReviewStatus status = response == null ? null : response.getStatus();
    if (status == null) {
      throw new AuthenticationException("the TokenReview response has no status");
    }
    if (status.getError() != null && !status.getError().isEmpty()) {
      throw new AuthenticationException("the service account authentication returns an error: " + status.getError());
    }
    if (!Boolean.TRUE.equals(status.getAuthenticated())) {
      throw new AuthenticationException("the token is not authenticated");
    }
    UserInfo user = status.getUser();
    if (user == null || user.getGroups() == null || !user.getGroups().contains(SA_GROUP)) {
      throw new AuthenticationException("the token is not a service account");
    }
    String[] parts = user.getUsername() == null ? new String[0] : user.getUsername().split(":", -1);
    if (parts.length != 4) {
      throw new AuthenticationException("invalid username field in the token review result");
    }
    if (parts[3].isEmpty()) {
      throw new AuthenticationException("failed to parse the JWT; service account required");
    }
    if (parts[2].isEmpty()) {
      throw new AuthenticationException("failed to parse the JWT; namespace required");
    }
    Map<String, List<String>> extra = user.getExtra() == null ? Map.of() : user.getExtra();
    return new KubernetesInfo(parts[2], parts[3], first(extra.get(POD_NAME_KEY)), first(extra.get(POD_UID_KEY)));
  }

  private static String first(List<String> values) {
    return values == null || values.isEmpty() ? "" : values.get(0);
  }

  /** The API server's status message only: the exception text could echo the request. */
  private static String statusMessage(KubernetesClientException e) {
    return e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : "no details";
  }
}
