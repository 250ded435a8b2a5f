package dev.istiod.xds;

import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import dev.istiod.model.Proxy;

/**
 * Generates the resources of one type URL for one proxy. Implementations are pure functions of
 * their arguments (plus the endpoint index reachable from the push context), safe to call from
 * many threads at once.
 */
public interface XdsGenerator {
  /** The type URL this generator serves. */
  String typeUrl();

  /**
   * Whether this push request can change this type's output for this proxy. Returning false
   * skips generation entirely (e.g. CDS ignores an endpoint-only request).
   */
  boolean needsPush(Proxy proxy, PushRequest request);

  /**
   * Generates resources. {@code request} is the push being served; for a proxy's own request
   * (subscription change, first request) it is a forced request with reason PROXY_REQUEST.
   */
  GenerationResult generate(Proxy proxy, PushContext push, WatchedResource watched, PushRequest request);
}
