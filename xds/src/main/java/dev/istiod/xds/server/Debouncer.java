package dev.istiod.xds.server;

import dev.istiod.model.PushRequest;
import dev.istiod.model.TriggerReason;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merges bursts of push requests into one push, as upstream's {@code debounce}: a merged request
 * is released once no new request arrived for {@code debounceAfter}, or once
 * {@code debounceMax} passed since the first one, whichever comes first. At most one released
 * push runs at a time; requests arriving meanwhile keep merging and are released after it.
 * With {@code enableEdsDebounce=false}, endpoint-only requests skip all this and push at once.
 *
 * <p>Requests accumulate in a {@link PushRequest.Merger}, so a burst of N requests costs the keys
 * they name, not N copies of the growing union; the immutable merged request is made once, on
 * release.
 *
 * <p>Time comes from the injected clock and timers from the injected scheduler, so tests drive
 * both. The released push runs on the scheduler's thread.
 */
final class Debouncer {
  private static final Logger log = LoggerFactory.getLogger(Debouncer.class);

  private final Duration after;
  private final Duration max;
  private final boolean edsDebounce;
  private final ScheduledExecutorService scheduler;
  private final Clock clock;
  private final Consumer<PushRequest> push;
  private final XdsMetrics metrics;

  // @GuardedBy("this"): the merge in progress, null when nothing waits.
  private PushRequest.Merger merged;
  private Instant firstEvent;
  private Instant lastEvent;
  private int events;
  // @GuardedBy("this"): true while a released push runs.
  private boolean pushing;
  private long released;

  Debouncer(XdsServerOptions options, ScheduledExecutorService scheduler, Clock clock,
      Consumer<PushRequest> push, XdsMetrics metrics) {
    this.after = options.debounceAfter();
    this.max = options.debounceMax();
    this.edsDebounce = options.enableEdsDebounce();
    this.scheduler = scheduler;
    this.clock = clock;
    this.push = push;
    this.metrics = metrics;
  }

  void submit(PushRequest request) {
    PushRequest r = request.reasons().isEmpty()
        ? new PushRequest(request.configsUpdated(), Set.of(TriggerReason.UNKNOWN), request.full(),
            request.forced(), request.start())
        : request;
    if (!edsDebounce && !r.full()) {
      schedule(() -> runPush(r, false), Duration.ZERO);
      return;
    }
    boolean first;
    synchronized (this) {
      lastEvent = clock.instant();
      first = events == 0;
      if (first) {
        firstEvent = lastEvent;
      }
      events++;
      if (merged == null) {
        merged = new PushRequest.Merger();
      }
      merged.add(r);
    }
    if (first) {
      schedule(this::check, after);
    }
  }

  /** True when nothing is waiting to be released and no released push is running. */
  synchronized boolean isIdle() {
    return merged == null && !pushing;
  }

  /** How many merged pushes were released so far. */
  synchronized long released() {
    return released;
  }

  private void check() {
    PushRequest toPush;
    Duration waited;
    synchronized (this) {
      if (pushing || merged == null) {
        return; // a running push calls check() again when it finishes
      }
      Instant now = clock.instant();
      Duration sinceFirst = Duration.between(firstEvent, now);
      Duration quiet = Duration.between(lastEvent, now);
      if (sinceFirst.compareTo(max) < 0 && quiet.compareTo(after) < 0) {
        schedule(this::check, after.minus(quiet));
        return;
      }
      log.debug("Push debounce stable {}: {} since last change, {} since first, full={}",
          events, quiet, sinceFirst, merged.full());
      toPush = merged.build();
      waited = sinceFirst;
      merged = null;
      events = 0;
      pushing = true;
      released++;
    }
    metrics.debounced(waited);
    runPush(toPush, true);
  }

  private void runPush(PushRequest request, boolean debounced) {
    try {
      push.accept(request);
    } catch (RuntimeException e) {
      log.error("Push failed", e);
    } finally {
      if (debounced) {
        synchronized (this) {
          pushing = false;
        }
        check();
      }
    }
  }

  private void schedule(Runnable task, Duration delay) {
    try {
      scheduler.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      log.debug("Debounce scheduler is shut down; dropping push");
    }
  }
}
