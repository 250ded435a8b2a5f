package dev.istiod.ca.auth;

/**
 * One way to authenticate a gRPC caller on 15012. Implementations are tried in order by
 * {@link Authenticators}; the first that returns a caller wins.
 */
public interface Authenticator {
  /** A short name for logs ("ClientCertAuthenticator", "KubeJWTAuthenticator"). */
  String type();

  /** The caller this request proves, or an exception saying why it proves nothing. */
  Caller authenticate(AuthRequest request) throws AuthenticationException;
}
