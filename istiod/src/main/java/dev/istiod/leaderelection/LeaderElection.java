package dev.istiod.leaderelection;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs work that must happen in one istiod replica only (a "singleton controller") while this
 * replica holds a Kubernetes Lease, as upstream's {@code pilot/pkg/leaderelection} does.
 *
 * <p>Design: a {@link LeaseElector} (client-go's algorithm, as upstream runs it) on a Lease named after the
 * election ({@link ElectionIds}) in istiod's namespace, holder identity {@code POD_NAME}. Timings are
 * upstream's: lease duration {@code ttl} (30 s), renew deadline ttl/2, retry period ttl/4 (with up to 120%
 * jitter while acquiring); a renewal is one write. The lease
 * is released on shutdown so that another replica takes over at once. When leadership is gained the
 * registered work starts; when it is lost (the lease could not be renewed, say while the API server
 * was unreachable) the work stops and the replica competes again, without end: upstream's
 * "cycle". The work's start and stop run on one thread of this class, in the order the elector
 * reports them, so a stop never overtakes its start.
 *
 * <p>With election disabled ({@code ENABLE_LEADER_ELECTION=false}) the work starts at once and
 * runs until {@link #close()}, as upstream assumes a single replica then.
 */
public final class LeaderElection implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaderElection.class);

  /** Upstream's lease duration; renew deadline and retry period are derived from it. */
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(30);

  /** Work to run while leading: start it and return the handle that stops it. */
  @FunctionalInterface
  public interface Work {
    AutoCloseable start() throws Exception;
  }

  /**
   * @param namespace where the Lease lives (istiod's {@code POD_NAMESPACE})
   * @param identity the Lease's holder identity ({@code POD_NAME})
   * @param electionId the Lease's name, e.g. {@link ElectionIds#NAMESPACE_CONTROLLER}
   * @param ttl the lease duration
   * @param enabled false to skip the election and always lead
   */
  public record Options(String namespace, String identity, String electionId, Duration ttl, boolean enabled) {
    public Options {
      requireNonBlank(namespace, "namespace");
      requireNonBlank(identity, "identity");
      requireNonBlank(electionId, "electionId");
      Objects.requireNonNull(ttl, "ttl");
      if (ttl.toMillis() < 400) {
        throw new IllegalArgumentException("leader election ttl " + ttl + " is too short (at least 400ms)");
      }
    }

    Duration renewDeadline() {
      return ttl.dividedBy(2);
    }

    Duration retryPeriod() {
      return ttl.dividedBy(4);
    }

    private static void requireNonBlank(String value, String name) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException("leader election " + name + " must not be empty");
      }
    }
  }

  private final KubernetesClient client;
  private final Options options;
  private final List<Work> work;
  // Starts and stops the work, and begins each election cycle: one thread, so they never race.
  private final ExecutorService serial;
  // Runs the election's reads and writes of the Lease, so that slow work never delays a renewal.
  private final ScheduledExecutorService timer;
  private final AtomicInteger cycle = new AtomicInteger();
  // Confined to the serial executor.
  private final List<AutoCloseable> running = new ArrayList<>();
  private volatile boolean leading;
  private volatile boolean closed;
  private volatile CompletableFuture<?> election = CompletableFuture.completedFuture(null);

  private LeaderElection(KubernetesClient client, Options options, List<Work> work) {
    this.client = client;
    this.options = options;
    this.work = List.copyOf(work);
    this.serial = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "leader-election-" + options.electionId());
      t.setDaemon(true);
      return t;
    });
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "lease-" + options.electionId());
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Joins the election (or, when disabled, starts {@code work} right away) and returns at once.
   *
   * @param client the cluster holding the Lease; may be null only when election is disabled
   */
  public static LeaderElection start(KubernetesClient client, Options options, List<Work> work) {
    Objects.requireNonNull(options, "options");
    if (options.enabled()) {
      Objects.requireNonNull(client, "client");
    }
    LeaderElection election = new LeaderElection(client, options, work);
    if (options.enabled()) {
      log.info("joining leader election {} in {} as {}", options.electionId(), options.namespace(),
          options.identity());
      election.serial.execute(election::runCycle);
    } else {
      log.info("bypassing leader election {} (ENABLE_LEADER_ELECTION=false)", options.electionId());
      election.serial.execute(election::startLeading);
    }
    return election;
  }

  /** True while this replica leads (always, once started, when election is disabled). */
  public boolean isLeader() {
    return leading;
  }

  /** How many times this replica joined the election; 1 until it won and then lost once. */
  int cycles() {
    return cycle.get();
  }

  // On the serial executor.
  private void runCycle() {
    if (closed) {
      return;
    }
    int n = cycle.incrementAndGet();
    try {
      startElector(n);
    } catch (RuntimeException e) {
      log.error("leader election {} cannot start: {}", options.electionId(), e.toString(), e);
    }
  }

  // On the serial executor.
  private void startElector(int n) {
    CompletableFuture<?> future = new LeaseElector(client, options, timer, () -> onSerial(this::startLeading),
        this::onNewLeader).start();
    election = future;
    future.whenComplete((ignored, error) -> {
      if (closed) {
        return;
      }
      if (error != null) {
        log.warn("leader election {} cycle {} ended: {}", options.electionId(), n, error.toString());
      } else {
        log.info("leader election {} cycle {} lost; trying again", options.electionId(), n);
      }
      onSerial(this::stopLeading);
      onSerial(this::runCycle);
    });
  }

  private void onNewLeader(String holder) {
    // A released Lease reports an empty holder; that is no news.
    if (holder != null && !holder.isEmpty()) {
      log.info("leader election {}: the leader is now {}", options.electionId(), holder);
    }
  }

  private void onSerial(Runnable task) {
    try {
      serial.execute(task);
    } catch (RejectedExecutionException closing) {
      // close() stops the work itself
    }
  }

  // On the serial executor.
  private void startLeading() {
    if (closed || leading) {
      return;
    }
    log.info("leader election lock obtained: {}", options.electionId());
    leading = true;
    for (Work w : work) {
      try {
        running.add(w.start());
      } catch (Exception e) {
        log.error("leader election {}: cannot start work: {}", options.electionId(), e.toString(), e);
      }
    }
  }

  // On the serial executor.
  private void stopLeading() {
    if (!leading) {
      return;
    }
    log.info("leader election lock lost: {}", options.electionId());
    leading = false;
    for (int i = running.size() - 1; i >= 0; i--) {
      try {
        running.get(i).close();
      } catch (Exception e) {
        log.warn("leader election {}: error while stopping work: {}", options.electionId(), e.toString());
      }
    }
    running.clear();
  }

  /**
   * Gives the Lease up as client-go does: no holder, a one-second duration from now. Only while this replica
   * still holds it, and conditional on the version read, so a new leader's Lease is never touched.
   */
  private void release() {
    Lease lease = client.leases().inNamespace(options.namespace()).withName(options.electionId()).get();
    if (lease == null || lease.getSpec() == null || !options.identity().equals(lease.getSpec().getHolderIdentity())) {
      return;
    }
    ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
    client.leases().inNamespace(options.namespace()).resource(new LeaseBuilder(lease).editSpec()
        .withHolderIdentity("").withLeaseDurationSeconds(1).withAcquireTime(now).withRenewTime(now)
        .endSpec().build()).update();
    log.info("leader election {}: lease released", options.electionId());
  }

  /** Stops the work, releases the Lease (so another replica leads at once) and leaves the election. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    boolean held = leading;
    election.cancel(true);
    timer.shutdownNow();
    // Stop the work first, then give the Lease up, so two replicas never run it at once.
    serial.execute(this::stopLeading);
    serial.shutdown();
    try {
      if (!serial.awaitTermination(10, TimeUnit.SECONDS)) {
        serial.shutdownNow();
      }
    } catch (InterruptedException e) {
      serial.shutdownNow();
      Thread.currentThread().interrupt();
    }
    // A cycle that was already starting when close() began may have made a new elector: stop that one too.
    election.cancel(true);
    // Release now rather than when the cancelled elector gets round to it: the client closes right
    // after, and another replica should not wait out the lease duration after a clean shutdown.
    if (held) {
      try {
        release();
      } catch (RuntimeException e) {
        log.warn("leader election {}: cannot release the lease: {}", options.electionId(), e.toString());
      }
    }
  }
}
