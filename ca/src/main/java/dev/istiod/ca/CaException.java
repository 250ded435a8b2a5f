package dev.istiod.ca;

/** A signing request the CA refused; the message is safe to return to the caller. */
public final class CaException extends Exception {
  private final CaError error;

  public CaException(CaError error, String message) {
    super(message);
    this.error = error;
  }

  public CaException(CaError error, String message, Throwable cause) {
    super(message, cause);
    this.error = error;
  }

  public CaError error() {
    return error;
  }
}
