package dev.istiod.webhook.controller;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A keyed work queue in the manner of client-go's: adding a key runs its reconciliation soon
 * (once, however often it was added meanwhile); a failed reconciliation is retried after the
 * backoff for its number of consecutive failures, forever; success resets the count.
 *
 * <p>All state is confined to one single-threaded executor, which also runs the reconciler, so
 * reconcilers need no locking of their own.
 */
final class ReconcileQueue {
  private static final Logger log = LoggerFactory.getLogger(ReconcileQueue.class);

  /** A reconciliation's verdict. */
  enum Outcome {
    DONE,
    RETRY
  }

  @FunctionalInterface
  interface Reconciler {
    Outcome reconcile(String key);
  }

  private final String name;
  private final ScheduledExecutorService executor;
  private final Backoff backoff;
  private final Reconciler reconciler;
  // Confined to the executor.
  private final Map<String, ScheduledFuture<?>> scheduled = new HashMap<>();
  private final Map<String, Integer> failures = new HashMap<>();

  ReconcileQueue(String name, ScheduledExecutorService executor, Backoff backoff, Reconciler reconciler) {
    this.name = name;
    this.executor = executor;
    this.backoff = backoff;
    this.reconciler = reconciler;
  }

  /** Reconciles {@code key} as soon as possible. Safe from any thread. */
  void add(String key) {
    try {
      executor.execute(() -> schedule(key, Duration.ZERO, true));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      log.debug("{}: stopped, not reconciling {}", name, key);
    }
  }

  private void schedule(String key, Duration delay, boolean replaceLater) {
    ScheduledFuture<?> pending = scheduled.get(key);
    if (pending != null && !pending.isDone()) {
      if (!replaceLater || pending.getDelay(TimeUnit.NANOSECONDS) <= delay.toNanos()) {
        return; // already due no later than asked
      }
      pending.cancel(false);
    }
    scheduled.put(key, executor.schedule(() -> run(key), delay.toNanos(), TimeUnit.NANOSECONDS));
  }

  private void run(String key) {
    scheduled.remove(key);
    Outcome outcome;
    try {
      outcome = reconciler.reconcile(key);
    } catch (RuntimeException e) {
      log.warn("{}: reconciling {} failed: {}", name, key, e.toString());
      outcome = Outcome.RETRY;
    }
    if (outcome == Outcome.DONE) {
      failures.remove(key);
      return;
    }
    int n = failures.merge(key, 1, Integer::sum);
    Duration delay = backoff.delay(n);
    log.debug("{}: retrying {} in {} (attempt {})", name, key, delay, n + 1);
    schedule(key, delay, false);
  }
}
