package dev.istiod.xds.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A scheduler and clock that only move when a test says so: {@link #advance} moves time and runs,
 * on the caller's thread and in time order, every task that became due. Tasks may schedule more
 * tasks, and may call {@code advance} themselves.
 */
public final class ManualScheduler extends AbstractExecutorService implements ScheduledExecutorService {
  private final Object lock = new Object();
  // guarded by lock
  private final PriorityQueue<Task<?>> tasks = new PriorityQueue<>();
  private long nowNanos;
  private boolean shutdown;
  private final AtomicLong sequence = new AtomicLong();
  private final Instant epoch;

  public ManualScheduler() {
    this(Instant.parse("2026-01-01T00:00:00Z"));
  }

  public ManualScheduler(Instant start) {
    this.epoch = start;
  }

  /** A clock that reads this scheduler's time, in UTC. */
  public Clock clock() {
    return new Clock() {
      @Override
      public ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("fixed to UTC");
      }

      @Override
      public Instant instant() {
        return now();
      }
    };
  }

  public Instant now() {
    synchronized (lock) {
      return epoch.plusNanos(nowNanos);
    }
  }

  /** Moves time forward and runs everything that became due, including tasks those tasks schedule. */
  public void advance(Duration d) {
    long target;
    synchronized (lock) {
      target = nowNanos + d.toNanos();
    }
    while (true) {
      Task<?> next;
      synchronized (lock) {
        next = tasks.peek();
        if (next == null || next.dueNanos > target) {
          nowNanos = Math.max(nowNanos, target);
          return;
        }
        tasks.poll();
        nowNanos = Math.max(nowNanos, next.dueNanos);
      }
      next.run();
    }
  }

  /** Runs everything due now without moving time. */
  public void runDue() {
    advance(Duration.ZERO);
  }

  /** Tasks waiting for their time. */
  public int queued() {
    synchronized (lock) {
      return (int) tasks.stream().filter(t -> !t.isCancelled()).count();
    }
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return add(Executors.callable(command, null), unit.toNanos(delay));
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    return add(callable, unit.toNanos(delay));
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
    throw new UnsupportedOperationException("periodic tasks are not needed by the push pipeline");
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException("periodic tasks are not needed by the push pipeline");
  }

  @Override
  public void execute(Runnable command) {
    schedule(command, 0, TimeUnit.NANOSECONDS);
  }

  private <V> Task<V> add(Callable<V> callable, long delayNanos) {
    synchronized (lock) {
      if (shutdown) {
        throw new java.util.concurrent.RejectedExecutionException("shut down");
      }
      Task<V> t = new Task<>(callable, nowNanos + Math.max(0, delayNanos), sequence.incrementAndGet());
      tasks.add(t);
      return t;
    }
  }

  @Override
  public void shutdown() {
    synchronized (lock) {
      shutdown = true;
    }
  }

  @Override
  public List<Runnable> shutdownNow() {
    synchronized (lock) {
      shutdown = true;
      List<Runnable> pending = new ArrayList<>(tasks);
      tasks.clear();
      return pending;
    }
  }

  @Override
  public boolean isShutdown() {
    synchronized (lock) {
      return shutdown;
    }
  }

  @Override
  public boolean isTerminated() {
    return isShutdown();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return isShutdown();
  }

  private final class Task<V> extends FutureTask<V> implements ScheduledFuture<V> {
    final long dueNanos;
    final long seq;

    Task(Callable<V> callable, long dueNanos, long seq) {
      super(callable);
      this.dueNanos = dueNanos;
      this.seq = seq;
    }

    @Override
    public long getDelay(TimeUnit unit) {
      synchronized (lock) {
        return unit.convert(dueNanos - nowNanos, TimeUnit.NANOSECONDS);
      }
    }

    @Override
    public int compareTo(Delayed o) {
      Task<?> other = (Task<?>) o;
      int c = Long.compare(dueNanos, other.dueNanos);
      return c != 0 ? c : Long.compare(seq, other.seq);
    }

    @Override
    protected void done() {
      // Surface failures like a real executor's uncaught exception handler would.
      if (!isCancelled()) {
        try {
          get();
        } catch (Exception e) {
          Thread t = Thread.currentThread();
          t.getUncaughtExceptionHandler().uncaughtException(t, e.getCause() != null ? e.getCause() : e);
        }
      }
    }
  }
}
