package dev.istiod.ca.auth;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Decides whether a caller may obtain a certificate for another identity (the
 * {@code ImpersonatedIdentity} request metadata): upstream allows it only for node agents
 * (ztunnel) listed in {@code CA_TRUSTED_NODE_ACCOUNTS}, and only for identities running on the
 * caller's node.
 */
public interface NodeAuthorizer {

  /** Returns normally when {@code caller} may impersonate {@code requestedIdentity}. */
  void authorizeImpersonation(Caller caller, String requestedIdentity) throws AuthenticationException;

  /**
   * Parses {@code CA_TRUSTED_NODE_ACCOUNTS}: comma-separated {@code namespace/serviceaccount};
   * malformed entries are skipped, as upstream ignores them.
   */
  public static Set<String> parseTrustedAccounts(String value) {
    Set<String> out = new LinkedHashSet<>();
    if (value == null) {
      return out;
    }
    for (String entry : value.split(",")) {
      String e = entry.trim();
      String[] parts = e.split("/", -1);
      if (parts.length == 2 && !parts[0].isEmpty() && !parts[1].isEmpty()) {
        out.add(e);
      }
    }
    return out;
  }
}
