package dev.istiod.xds.server;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * Admission of new xDS streams at {@code PILOT_MAX_REQUESTS_PER_SECOND}, as upstream's request rate limiter: a
 * token bucket of one token refilled at the rate. A stream that would get its token within {@link #MAX_WAIT}
 * starts after that delay; one that would wait longer is refused at once (upstream answers
 * {@code ResourceExhausted} so the proxy retries, possibly against another replica). So a reconnecting fleet is
 * let in at a steady pace instead of all generating at once, and each admitted proxy is served promptly.
 */
final class RequestRateLimiter {
  /** Upstream waits for a token at most one second. */
  static final Duration MAX_WAIT = Duration.ofSeconds(1);

  private final long intervalNanos;
  private final Clock clock;
  // @GuardedBy("this"): when the next token is available, in clock nanos.
  private long nextFreeNanos = Long.MIN_VALUE;

  /** @param perSecond the rate; must be positive */
  RequestRateLimiter(double perSecond, Clock clock) {
    if (!(perSecond > 0)) {
      throw new IllegalArgumentException("PILOT_MAX_REQUESTS_PER_SECOND must be positive, got " + perSecond);
    }
    this.intervalNanos = Math.max(1, (long) (1_000_000_000L / perSecond));
    this.clock = clock;
  }

  /** Upstream's default (Istio 1.21+): scaled with the machine like the push throttle. */
  static double defaultRate(int cores) {
    return XdsServerOptions.defaultPushThrottle(cores);
  }

  /** How long the new stream waits for its token; empty when it would wait longer than {@link #MAX_WAIT}. */
  synchronized Optional<Duration> admit() {
    long now = nanos();
    long start = Math.max(now, nextFreeNanos);
    long wait = start - now;
    if (wait > MAX_WAIT.toNanos()) {
      return Optional.empty(); // no token taken, as Go's rate.Limiter.Wait refusing a deadline it cannot meet
    }
    nextFreeNanos = start + intervalNanos;
    return Optional.of(Duration.ofNanos(wait));
  }

  private long nanos() {
    var i = clock.instant();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }
}
