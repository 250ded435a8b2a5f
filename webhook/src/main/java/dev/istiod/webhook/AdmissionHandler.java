package dev.istiod.webhook;

/**
 * One webhook behind the admission server ({@code /validate} or {@code /inject}). Called
 * concurrently; implementations never throw for bad input, they deny with a message.
 */
public interface AdmissionHandler {
  /**
   * @param path the request path, e.g. {@code /inject/cluster/c1/net/n1}; the injector reads
   *     settings from its segments
   */
  AdmissionResponse admit(AdmissionRequest request, String path);

  /** The server answered an HTTP error before any review reached {@link #admit} (metrics). */
  default void onHttpError(int status) {}
}
