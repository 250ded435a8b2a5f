package dev.istiod.xds.server;

import java.time.Duration;
import java.util.Objects;

/**
 * Tuning of the push pipeline, with upstream istiod's defaults. The istiod module reads the
 * environment ({@code PILOT_DEBOUNCE_AFTER}, {@code PILOT_DEBOUNCE_MAX},
 * {@code PILOT_ENABLE_EDS_DEBOUNCE}, {@code PILOT_PUSH_THROTTLE}) and passes this record down;
 * nothing in the xds module reads the environment itself.
 *
 * @param debounceAfter quiet period: a push waits until no change arrived for this long
 * @param debounceMax cap: a push waits at most this long after the first merged change
 * @param enableEdsDebounce false lets endpoint-only changes skip the debounce and push at once
 * @param pushThrottle how many proxies are pushed concurrently; zero or less means upstream's
 *     heuristic {@code min(15 + 5 * cores, 100)}
 * @param pushWaitLimit how long a push worker waits for a slow proxy to take its push before
 *     moving on to the next proxy (the slow proxy keeps its one in-flight push and gets no other
 *     until it drains, so memory stays bounded)
 * @param requestRateLimit {@code PILOT_MAX_REQUESTS_PER_SECOND}: new xDS streams admitted per second; zero or less
 *     means upstream's heuristic, the same as the push throttle's
 */
public record XdsServerOptions(
    Duration debounceAfter,
    Duration debounceMax,
    boolean enableEdsDebounce,
    int pushThrottle,
    Duration pushWaitLimit,
    double requestRateLimit) {

  public static final Duration DEFAULT_DEBOUNCE_AFTER = Duration.ofMillis(100);
  public static final Duration DEFAULT_DEBOUNCE_MAX = Duration.ofSeconds(10);
  public static final Duration DEFAULT_PUSH_WAIT_LIMIT = Duration.ofSeconds(5);

  public XdsServerOptions {
    requireNonNegative(debounceAfter, "debounceAfter");
    requireNonNegative(debounceMax, "debounceMax");
    requireNonNegative(pushWaitLimit, "pushWaitLimit");
    pushThrottle = pushThrottle <= 0 ? defaultPushThrottle(Runtime.getRuntime().availableProcessors()) : pushThrottle;
    requestRateLimit = requestRateLimit > 0 ? requestRateLimit
        : RequestRateLimiter.defaultRate(Runtime.getRuntime().availableProcessors());
  }

  /** Options with upstream's default request rate limit. */
  public XdsServerOptions(Duration debounceAfter, Duration debounceMax, boolean enableEdsDebounce, int pushThrottle,
      Duration pushWaitLimit) {
    this(debounceAfter, debounceMax, enableEdsDebounce, pushThrottle, pushWaitLimit, 0);
  }

  /** Upstream's defaults: 100 ms quiet period, 10 s cap, EDS debounced, throttle by cores. */
  public static XdsServerOptions defaults() {
    return new XdsServerOptions(DEFAULT_DEBOUNCE_AFTER, DEFAULT_DEBOUNCE_MAX, true, 0, DEFAULT_PUSH_WAIT_LIMIT);
  }

  /** Upstream's PILOT_PUSH_THROTTLE heuristic (Istio 1.21+): {@code min(15 + 5 * cores, 100)}. */
  public static int defaultPushThrottle(int cores) {
    return Math.min(15 + 5 * Math.max(1, cores), 100);
  }

  public XdsServerOptions withDebounce(Duration after, Duration max) {
    return new XdsServerOptions(after, max, enableEdsDebounce, pushThrottle, pushWaitLimit, requestRateLimit);
  }

  public XdsServerOptions withEnableEdsDebounce(boolean enable) {
    return new XdsServerOptions(debounceAfter, debounceMax, enable, pushThrottle, pushWaitLimit, requestRateLimit);
  }

  public XdsServerOptions withPushThrottle(int throttle) {
    return new XdsServerOptions(debounceAfter, debounceMax, enableEdsDebounce, throttle, pushWaitLimit, requestRateLimit);
  }

  public XdsServerOptions withPushWaitLimit(Duration limit) {
    return new XdsServerOptions(debounceAfter, debounceMax, enableEdsDebounce, pushThrottle, limit, requestRateLimit);
  }

  public XdsServerOptions withRequestRateLimit(double perSecond) {
    return new XdsServerOptions(debounceAfter, debounceMax, enableEdsDebounce, pushThrottle, pushWaitLimit, perSecond);
  }

  private static void requireNonNegative(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative: " + d);
    }
  }
}
