package dev.istiod.configstore;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs a task after a delay. Stores take one instead of sleeping or owning a timer, so tests can
 * run the delayed work by hand and istiod can share one scheduler.
 */
@FunctionalInterface
public interface TaskScheduler {
  void schedule(Runnable task, Duration delay);

  static TaskScheduler of(ScheduledExecutorService executor) {
    return (task, delay) -> executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
  }
}
