package dev.istiod.leaderelection;

/**
 * Names of the elections (the Lease objects in istiod's namespace), upstream's names where
 * upstream elects the same work.
 */
public final class ElectionIds {
  private ElectionIds() {}

  /**
   * Upstream's namespace controller: publishes {@code istio-ca-root-cert} to every namespace. All
   * revisions share it, as upstream (which, unlike this implementation, also lets the default
   * revision take the lock over from others).
   */
  public static final String NAMESPACE_CONTROLLER = "istio-namespace-controller-election";
}
