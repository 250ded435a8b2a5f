package dev.istiod.configstore;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A {@link TaskScheduler} that only runs tasks when the test says so. */
final class ManualScheduler implements TaskScheduler {
  private final List<Runnable> pending = new ArrayList<>();
  private final List<Duration> delays = new ArrayList<>();

  @Override
  public synchronized void schedule(Runnable task, Duration delay) {
    pending.add(task);
    delays.add(delay);
  }

  synchronized int pendingCount() {
    return pending.size();
  }

  synchronized List<Duration> delays() {
    return List.copyOf(delays);
  }

  /** Runs what is pending now, on the calling thread. */
  void runPending() {
    List<Runnable> tasks;
    synchronized (this) {
      tasks = new ArrayList<>(pending);
      pending.clear();
    }
    tasks.forEach(Runnable::run);
  }
}
