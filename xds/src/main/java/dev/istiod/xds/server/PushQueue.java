package dev.istiod.xds.server;

import dev.istiod.model.PushContext;
import dev.istiod.model.PushRequest;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Proxies waiting for a push, first in first out, with at most one pending push per proxy.
 *
 * <p>Design note (as upstream's push queue): a proxy is either absent, pending (in the FIFO, with
 * one merged request), processing (taken by a worker and not yet {@link #markDone done}), or both
 * processing and pending (a newer request arrived during its push). Enqueueing a pending proxy
 * merges into its request and keeps its place; enqueueing a processing proxy parks the request
 * until {@code markDone}, which puts the proxy at the back of the line. So a burst of changes
 * costs each proxy at most one push in flight plus one merged push waiting, whatever the burst.
 *
 * @param <K> the connection type (a plain key in tests)
 */
final class PushQueue<K> {

  /** A push taken from the queue. {@code context} is the newest snapshot merged into it. */
  record Item<K>(K key, PushRequest request, PushContext context, Instant enqueuedAt) {}

  /**
   * A proxy's waiting push. Requests fold into a {@link PushRequest.Merger}, so a proxy that waits
   * through many pushes costs the keys they name, not a copy of its growing union per push.
   * Mutable, guarded by the queue's lock.
   */
  private static final class Pending {
    final PushRequest.Merger request = new PushRequest.Merger();
    final Instant enqueuedAt;
    PushContext context;

    Pending(PushRequest request, PushContext context, Instant enqueuedAt) {
      this.request.add(request);
      this.context = context;
      this.enqueuedAt = enqueuedAt;
    }

    void merge(PushRequest r, PushContext c) {
      request.add(r);
      if (c != null) {
        context = c; // the later snapshot wins: it was built after (and includes) the earlier one
      }
    }
  }

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notEmpty = lock.newCondition();
  // @GuardedBy("lock"): the FIFO of proxies ready to be taken, each at most once.
  private final ArrayDeque<K> queue = new ArrayDeque<>();
  // @GuardedBy("lock"): the merged request of every queued or parked proxy.
  private final Map<K, Pending> pending = new HashMap<>();
  // @GuardedBy("lock"): proxies taken and not yet done.
  private final Set<K> processing = new HashSet<>();

  void enqueue(K key, PushRequest request, PushContext context, Instant now) {
    lock.lock();
    try {
      Pending existing = pending.get(key);
      if (existing != null) {
        existing.merge(request, context);
        return;
      }
      pending.put(key, new Pending(request, context, now));
      if (!processing.contains(key)) {
        queue.add(key);
        notEmpty.signal();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Takes the next proxy, waiting up to {@code timeout}; null if none arrived in time. */
  Item<K> poll(long timeout, TimeUnit unit) throws InterruptedException {
    lock.lock();
    try {
      long nanos = unit.toNanos(timeout);
      while (queue.isEmpty()) {
        if (nanos <= 0) {
          return null;
        }
        nanos = notEmpty.awaitNanos(nanos);
      }
      K key = queue.poll();
      Pending p = pending.remove(key);
      processing.add(key);
      return new Item<>(key, p.request.build(), p.context, p.enqueuedAt);
    } finally {
      lock.unlock();
    }
  }

  /** The push of {@code key} is finished; a request parked meanwhile goes to the back of the line. */
  void markDone(K key) {
    lock.lock();
    try {
      processing.remove(key);
      if (pending.containsKey(key)) {
        queue.add(key);
        notEmpty.signal();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Proxies waiting to be taken. */
  int pending() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  /** Proxies taken and not yet done. */
  int processing() {
    lock.lock();
    try {
      return processing.size();
    } finally {
      lock.unlock();
    }
  }

  boolean isIdle() {
    lock.lock();
    try {
      return pending.isEmpty() && processing.isEmpty();
    } finally {
      lock.unlock();
    }
  }
}
