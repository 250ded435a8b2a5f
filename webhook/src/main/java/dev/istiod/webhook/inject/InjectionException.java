package dev.istiod.webhook.inject;

/** The pod cannot be injected; the message is what the user sees in the refusal. */
public final class InjectionException extends Exception {
  private static final long serialVersionUID = 1L;

  public InjectionException(String message) {
    super(message);
  }
}
