package dev.istiod.xds.server;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drains the push queue with a fixed number of workers ({@code PILOT_PUSH_THROTTLE}): that many
 * proxies are being pushed at once. A worker starts a proxy's push (which runs on the proxy's own
 * serial executor) and waits until it was handed to gRPC, or at most the wait limit, so one
 * slow proxy holds a worker for a bounded time and never stalls the rest. The workers are virtual threads.
 */
final class PushWorkers<K> implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PushWorkers.class);

  private final PushQueue<K> queue;
  private final Function<PushQueue.Item<K>, CompletableFuture<Void>> pusher;
  private final Duration waitLimit;
  private final XdsMetrics metrics;
  private final Clock clock;
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running;

  PushWorkers(PushQueue<K> queue, Function<PushQueue.Item<K>, CompletableFuture<Void>> pusher,
      Duration waitLimit, XdsMetrics metrics, Clock clock) {
    this.queue = queue;
    this.pusher = pusher;
    this.waitLimit = waitLimit;
    this.metrics = metrics;
    this.clock = clock;
  }

  synchronized void start(int workers) {
    if (running) {
      return;
    }
    running = true;
    for (int i = 0; i < workers; i++) {
      // Virtual: the workers spend their life waiting (for the queue, then for gRPC to take a push), and at rest
      // 25 platform threads held 25 native stacks for nothing.
      Thread t = Thread.ofVirtual().name("xds-push-" + i).unstarted(this::loop);
      threads.add(t);
      t.start();
    }
  }

  private void loop() {
    while (running) {
      PushQueue.Item<K> item;
      try {
        // Waits for work without a timeout: close() interrupts. (A 500 ms poll woke every worker twice a
        // second with nothing to push, half of istiod's CPU at rest.)
        item = queue.poll(Long.MAX_VALUE, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (item != null) {
        pushOne(item);
      }
    }
  }

  private void pushOne(PushQueue.Item<K> item) {
    metrics.pushTriggered(item.request().reasons());
    metrics.queued(Duration.between(item.enqueuedAt(), clock.instant()));
    CompletableFuture<Void> done;
    try {
      done = pusher.apply(item);
    } catch (RuntimeException e) {
      log.error("Failed to start a push", e);
      done = CompletableFuture.completedFuture(null);
    }
    done.whenComplete((v, e) -> {
      queue.markDone(item.key());
      metrics.converged(Duration.between(item.request().start(), clock.instant()));
    });
    try {
      done.get(waitLimit.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      log.debug("Push to {} still waiting for the proxy after {}; moving on", item.key(), waitLimit);
    } catch (ExecutionException e) {
      log.warn("Push to {} failed", item.key(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public synchronized void close() {
    running = false;
    threads.forEach(Thread::interrupt);
    threads.clear();
  }
}
