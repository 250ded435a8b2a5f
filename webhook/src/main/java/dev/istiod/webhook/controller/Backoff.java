package dev.istiod.webhook.controller;

import java.time.Duration;

/** How long to wait before retrying a key after {@code failures} consecutive failures. */
@FunctionalInterface
interface Backoff {
  Duration delay(int failures);

  /** Doubling from {@code base} up to {@code max} (client-go's exponential failure rate limiter). */
  static Backoff exponential(Duration base, Duration max) {
    return failures -> {
      long factor = 1L << Math.min(Math.max(failures - 1, 0), 30);
      Duration d = base.multipliedBy(factor);
      return d.compareTo(max) > 0 ? max : d;
    };
  }

  /**
   * {@code fast} for the first {@code fastAttempts} retries, then {@code slow} (client-go's
   * fast-slow rate limiter): quick retries resolve update conflicts between istiod replicas,
   * slow ones avoid hammering the apiserver when replicas disagree for long.
   */
  static Backoff fastSlow(Duration fast, Duration slow, int fastAttempts) {
    return failures -> failures <= fastAttempts ? fast : slow;
  }
}
