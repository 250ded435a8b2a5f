package dev.istiod.ca.auth;

import java.util.ArrayList;
import java.util.List;

/**
 * Upstream's authentication manager: try each authenticator in order, first success wins; when
 * all fail, one exception carrying every reason (for istiod's log only).
 */
public final class Authenticators {
  private final List<Authenticator> authenticators;

  public Authenticators(List<Authenticator> authenticators) {
    this.authenticators = List.copyOf(authenticators);
  }

  public List<Authenticator> list() {
    return authenticators;
  }

  public Caller authenticate(AuthRequest request) throws AuthenticationException {
    List<String> failures = new ArrayList<>();
    for (Authenticator a : authenticators) {
      try {
        return a.authenticate(request);
      } catch (AuthenticationException e) {
        failures.add(a.type() + ": " + e.getMessage());
      }
    }
    throw new AuthenticationException(failures.isEmpty() ? "no authenticator configured" : String.join("; ", failures));
  }
}
