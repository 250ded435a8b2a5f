package dev.istiod.ca.testing;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The API server's TokenReview, as far as istiod relies on it: known tokens review as their
 * service account when the requested audiences intersect theirs; everything else is not
 * authenticated. Records the reviews it answered.
 */
public final class FakeTokenReviews {
  private record Token(String namespace, String serviceAccount, List<String> audiences, String podName,
      String podUid) {}

  private final Map<String, Token> tokens = new ConcurrentHashMap<>();
  private final List<TokenReview> requests = new CopyOnWriteArrayList<>();

  private FakeTokenReviews() {}

  public static FakeTokenReviews install(KubernetesMockServer server) {
    FakeTokenReviews fake = new FakeTokenReviews();
    server.expect().post().withPath("/apis/authentication.k8s.io/v1/tokenreviews")
        .andReply(201, req -> fake.review(Serialization.unmarshal(req.getUtf8Body(), TokenReview.class)))
        .always();
    return fake;
  }

  /** A token for {@code ns/sa} valid for {@code audiences}, as {@code kubectl create token --audience}. */
  public FakeTokenReviews token(String token, String namespace, String serviceAccount, String... audiences) {
    tokens.put(token, new Token(namespace, serviceAccount, List.of(audiences), serviceAccount + "-pod",
        serviceAccount + "-uid"));
    return this;
  }

  public List<TokenReview> requests() {
    return requests;
  }

  private TokenReview review(TokenReview request) {
    requests.add(request);
    Token t = tokens.get(request.getSpec().getToken());
    List<String> wanted = request.getSpec().getAudiences() == null ? List.of() : request.getSpec().getAudiences();
    if (t == null || (!wanted.isEmpty() && wanted.stream().noneMatch(t.audiences()::contains))) {
      return new TokenReviewBuilder(request).withNewStatus().withAuthenticated(false)
          .withError(t == null ? "invalid bearer token" : "token audiences " + t.audiences()
              + " is invalid for the target audiences " + wanted)
          .endStatus().build();
    }
    return new TokenReviewBuilder(request).withNewStatus().withAuthenticated(true).withAudiences(wanted)
        .withNewUser()
        .withUsername("system:serviceaccount:" + t.namespace() + ":" + t.serviceAccount())
        .withGroups("system:serviceaccounts", "system:serviceaccounts:" + t.namespace(), "system:authenticated")
        .withExtra(Map.of("authentication.kubernetes.io/pod-name", List.of(t.podName()),
            "authentication.kubernetes.io/pod-uid", List.of(t.podUid())))
        .endUser().endStatus().build();
  }
}
