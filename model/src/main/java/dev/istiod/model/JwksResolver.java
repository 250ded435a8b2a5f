package dev.istiod.model;

import java.util.Optional;

/**
 * Where the public keys of a RequestAuthentication rule that names a {@code jwksUri} (or only an
 * issuer, for OpenID discovery) come from. As upstream with {@code PILOT_JWT_ENABLE_REMOTE_JWKS}
 * off, istiod fetches the keys itself and inlines them, so proxies need no route to the issuer.
 * Generators call this while building listeners; implementations answer from a cache and fetch
 * at most once per call, with a short timeout.
 */
@FunctionalInterface
public interface JwksResolver {
  /** Resolves nothing: every remote rule gets the "fail all" key set. */
  JwksResolver NONE = (issuer, jwksUri) -> Optional.empty();

  /**
   * The JWKS document for this rule, or empty when it is not (yet) available.
   *
   * @param jwksUri may be empty: then the issuer's OpenID discovery document names it
   */
  Optional<String> jwks(String issuer, String jwksUri);
}
