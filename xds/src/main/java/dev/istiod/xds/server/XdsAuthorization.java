package dev.istiod.xds.server;

import dev.istiod.model.Proxy;
import dev.istiod.model.VerifiedIdentity;
import io.grpc.Status;
import io.grpc.StatusException;
import java.util.List;

/**
 * Upstream's xDS identity check: an authenticated caller may only connect as a proxy of its own
 * identity. Some SPIFFE id of the caller must name the proxy's config namespace and, when the
 * proxy states a SERVICE_ACCOUNT, that service account. The identity that matched becomes the
 * proxy's verified identity (upstream's {@code proxy.VerifiedIdentity}), which SDS requires.
 */
final class XdsAuthorization {
  private XdsAuthorization() {}

  /** The identity that matched; null for an anonymous caller, who is not checked. */
  static VerifiedIdentity check(Proxy proxy, List<String> identities) throws StatusException {
    if (identities.isEmpty()) {
      return null;
    }
    String ns = proxy.configNamespace();
    String sa = proxy.metadata().serviceAccount();
    for (String id : identities) {
      String[] nsSa = namespaceAndServiceAccount(id);
      if (nsSa != null && nsSa[0].equals(ns) && (sa.isEmpty() || nsSa[1].equals(sa))) {
        return VerifiedIdentity.parse(id).orElse(null);
      }
    }
    throw Status.PERMISSION_DENIED.withDescription("authorization failed: no identities (" + String.join(", ", identities)
        + ") matched " + ns + "/" + (sa.isEmpty() ? "*" : sa)).asException();
  }

  /** {@code spiffe://<td>/ns/<ns>/sa/<sa>} → {ns, sa}; null for any other form. */
  static String[] namespaceAndServiceAccount(String spiffeId) {
    if (!spiffeId.startsWith("spiffe://")) {
      return null;
    }
    String[] parts = spiffeId.substring("spiffe://".length()).split("/");
    if (parts.length != 5 || !parts[1].equals("ns") || !parts[3].equals("sa")) {
      return null;
    }
    return new String[] {parts[2], parts[4]};
  }
}
