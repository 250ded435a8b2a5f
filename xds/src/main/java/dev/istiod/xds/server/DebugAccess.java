package dev.istiod.xds.server;

import dev.istiod.model.Proxy;
import dev.istiod.model.VerifiedIdentity;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Who may read istiod's debug types over xDS, as upstream's {@code ENABLE_DEBUG_ENDPOINT_AUTH} and
 * {@code DEBUG_ENDPOINT_AUTH_ALLOWED_NAMESPACES}: with enforcement on (upstream's default since the 2026 security
 * fix, backported to 1.27+), a caller must have proven an identity (client certificate or Kubernetes token, so in
 * practice the secure port); one from the system namespace or an allowed namespace sees every proxy, any other
 * sees only the proxies of its own namespace. With enforcement off, anyone who reaches the port sees everything.
 *
 * @param enforced ENABLE_DEBUG_ENDPOINT_AUTH (true)
 * @param allowedNamespaces DEBUG_ENDPOINT_AUTH_ALLOWED_NAMESPACES: namespaces treated like the system namespace
 */
public record DebugAccess(boolean enforced, Set<String> allowedNamespaces) {
  /** Upstream's defaults: enforced, no extra namespaces. */
  public static final DebugAccess DEFAULT = new DebugAccess(true, Set.of());

  public DebugAccess {
    allowedNamespaces = Set.copyOf(Objects.requireNonNull(allowedNamespaces, "allowedNamespaces"));
  }

  /** What a caller may see. */
  sealed interface Scope permits Denied, Everything, Namespace {}

  /** No proven identity while enforcement is on: upstream answers UNAUTHENTICATED "authentication required". */
  record Denied() implements Scope {}

  /** Every proxy. */
  record Everything() implements Scope {}

  /** Only proxies whose config namespace is {@code name}. */
  record Namespace(String name) implements Scope {}

  /**
   * The scope of a debug caller, which connects as a proxy of its own (istioctl's node), so its verified identity
   * is the one its stream proved.
   *
   * @param systemNamespace the mesh's root namespace (istio-system by default)
   */
  Scope scopeOf(Proxy caller, String systemNamespace) {
    if (!enforced) {
      return new Everything();
    }
    Optional<VerifiedIdentity> identity = Optional.ofNullable(caller.verifiedIdentity());
    if (identity.isEmpty()) {
      return new Denied();
    }
    String ns = identity.get().namespace();
    if (ns.equals(systemNamespace) || allowedNamespaces.contains(ns)) {
      return new Everything();
    }
    return new Namespace(ns);
  }
}
