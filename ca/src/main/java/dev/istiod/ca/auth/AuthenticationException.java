package dev.istiod.ca.auth;

/**
 * A caller could not be authenticated. The message is for istiod's log, never for the caller
 * (it gets upstream's opaque "request authenticate failure"), and never contains a token.
 */
public final class AuthenticationException extends Exception {
  public AuthenticationException(String message) {
    super(message);
  }

  public AuthenticationException(String message, Throwable cause) {
    super(message, cause);
  }
}
