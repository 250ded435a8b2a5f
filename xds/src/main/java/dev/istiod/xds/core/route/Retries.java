package dev.istiod.xds.core.route;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import dev.istiod.api.networking.v1alpha3.HTTPRetry;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Retry policies as upstream's {@code retry} package: routes without a VirtualService retry
 * policy retry twice on connect failures, refused streams and 503s, on another host; a policy
 * with zero attempts disables retries.
 */
final class Retries {
  static final String DEFAULT_RETRY_ON = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";
  static final String INBOUND_RETRY_ON = "reset-before-request";

  /** The VirtualService's retries, else the mesh's default, else the built-in default. */
  static final RouteContributor CONTRIBUTOR = (ctx, route) -> {
    if (ctx.answersDirectly()) {
      return;
    }
    HTTPRetry policy = ctx.http().hasRetries() ? ctx.http().getRetries()
        : ctx.inputs().mesh().hasDefaultHttpRetryPolicy() ? ctx.inputs().mesh().getDefaultHttpRetryPolicy() : null;
    // Upstream only looks at the hash of a single destination; a split keeps the host predicate.
    boolean consistentHash = ctx.http().getRouteCount() == 1
        && HashPolicies.forDestination(ctx.inputs(), ctx.http().getRoute(0).getDestination()).isPresent();
    RetryPolicy converted = convert(policy, consistentHash);
    if (converted != null) {
      route.getRouteBuilder().setRetryPolicy(converted);
    }
  };

  /** HTTP status codes Go's {@code http.StatusText} knows; other numbers are kept as retry-on words. */
  private static final Set<Integer> KNOWN_STATUS = Set.of(100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207,
      208, 226, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411,
      412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504,
      505, 506, 507, 508, 510, 511);

  private Retries() {}

  /**
   * Two retries on connection failures, refused streams and gRPC unavailable/cancelled, on another
   * host unless consistent hashing pins the host. {@code retriable-status-codes} without codes
   * retries only the codes a request's {@code x-envoy-retriable-status-codes} names: 503 is not
   * retried by default (Istio 1.24+, the old behaviour was the {@code EXCLUDE_503} compatibility
   * flag, removed in 1.27).
   */
  static RetryPolicy defaultPolicy(boolean consistentHash) {
    RetryPolicy.Builder out = RetryPolicy.newBuilder()
        .setNumRetries(UInt32Value.of(2))
        .setRetryOn(DEFAULT_RETRY_ON)
        .setHostSelectionRetryMaxAttempts(5);
    if (!consistentHash) {
      out.addRetryHostPredicate(previousHosts());
    }
    return out.build();
  }

  /** The inbound default: retry only requests that never reached the app. */
  static RetryPolicy inboundPolicy() {
    return RetryPolicy.newBuilder().setNumRetries(UInt32Value.of(2)).setRetryOn(INBOUND_RETRY_ON).build();
  }

  /**
   * Upstream's {@code ConvertPolicy}: null when retries are disabled ({@code attempts: 0}).
   *
   * @param consistentHash the destination uses consistent hashing, so retries stay on its host
   */
  static RetryPolicy convert(HTTPRetry in, boolean consistentHash) {
    if (in == null) {
      return defaultPolicy(consistentHash);
    }
    if (in.getAttempts() <= 0) {
      return null;
    }
    RetryPolicy.Builder out = defaultPolicy(consistentHash).toBuilder().setNumRetries(UInt32Value.of(in.getAttempts()));
    if (!in.getRetryOn().isEmpty()) {
      List<String> words = new ArrayList<>();
      List<Integer> codes = new ArrayList<>();
      for (String part : in.getRetryOn().split(",")) {
        String p = part.trim();
        if (p.isEmpty()) {
          continue;
        }
        Integer code = parseStatus(p);
        if (code != null) {
          codes.add(code);
        } else {
          words.add(p);
        }
      }
      String retryOn = String.join(",", words);
      if (!codes.isEmpty() && !retryOn.contains("retriable-status-codes")) {
        retryOn = retryOn.isEmpty() ? "retriable-status-codes" : retryOn + ",retriable-status-codes";
      }
      out.setRetryOn(retryOn).clearRetriableStatusCodes().addAllRetriableStatusCodes(codes);
    }
    if (in.hasPerTryTimeout()) {
      out.setPerTryTimeout(in.getPerTryTimeout());
    }
    if (in.hasRetryIgnorePreviousHosts()) {
      out.clearRetryHostPredicate();
      if (in.getRetryIgnorePreviousHosts().getValue()) {
        out.addRetryHostPredicate(previousHosts());
      }
    }
    if (in.hasRetryRemoteLocalities() && in.getRetryRemoteLocalities().getValue()) {
      out.getRetryPriorityBuilder().setName("envoy.retry_priorities.previous_priorities")
          .setTypedConfig(Any.pack(PreviousPrioritiesConfig.newBuilder().setUpdateFrequency(2).build()));
    }
    if (in.hasBackoff()) {
      out.getRetryBackOffBuilder().setBaseInterval(in.getBackoff());
    }
    return out.build();
  }

  private static Integer parseStatus(String s) {
    try {
      int i = Integer.parseInt(s);
      return KNOWN_STATUS.contains(i) ? i : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static RetryPolicy.RetryHostPredicate previousHosts() {
    return RetryPolicy.RetryHostPredicate.newBuilder()
        .setName("envoy.retry_host_predicates.previous_hosts")
        .setTypedConfig(Any.pack(PreviousHostsPredicate.getDefaultInstance()))
        .build();
  }
}
