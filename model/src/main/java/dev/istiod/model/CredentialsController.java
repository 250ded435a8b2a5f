package dev.istiod.model;

import java.util.Optional;

/**
 * Where {@code credentialName} secrets come from (upstream's {@code credentials.Controller}): the
 * seam between the SDS generator, which must not know Kubernetes, and the Secret informer that
 * lives in the CA module. Implementations are live views, safe to call from many threads; a
 * change to a Secret is reported by the implementation as a {@link PushRequest} naming
 * {@link Kind#SECRET} (see {@link PushRequest#secrets}).
 */
public interface CredentialsController {
  /** No credentials source (no cluster): gateways cannot use {@code credentialName}. */
  CredentialsController NONE = new CredentialsController() {
    @Override
    public Optional<Credential> get(String namespace, String name) {
      return Optional.empty();
    }

    @Override
    public Authorization authorize(String serviceAccount, String namespace) {
      return Authorization.denied("no credentials source");
    }

    @Override
    public String toString() {
      return "CredentialsController.NONE";
    }
  };

  /** The Secret {@code namespace/name}; empty if it does not exist. */
  Optional<Credential> get(String namespace, String name);

  /**
   * Whether a workload running as {@code serviceAccount} in {@code namespace} may read the
   * secrets of its namespace. Upstream asks the API server with a SubjectAccessReview (verb
   * {@code list}, resource {@code secrets}): the proxy gets over SDS only what its own service
   * account could read itself. Implementations may cache the answer.
   */
  Authorization authorize(String serviceAccount, String namespace);

  /** The answer of {@link #authorize}; {@code reason} says why not, for the log. */
  record Authorization(boolean allowed, String reason) {
    public static final Authorization ALLOWED = new Authorization(true, "");

    public Authorization {
      reason = reason == null ? "" : reason;
    }

    public static Authorization denied(String reason) {
      return new Authorization(false, reason);
    }
  }
}
