package dev.istiod.leaderelection;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseList;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One election cycle on a Lease, as client-go's {@code leaderelection.LeaderElector} runs it for upstream istiod:
 * try to acquire every retry period (ttl/4) with up to 120% jitter until this replica holds the Lease; then renew
 * it every retry period, without jitter, and give leadership up when renewals have failed for the renew
 * deadline (ttl/2). A renewal is one write: while the Lease is ours and not expired, the Lease last read or
 * written is updated in place (optimistic, by its resourceVersion); only when that fails (someone else wrote it,
 * or it is gone) is it read again. Expiry is judged as client-go does, by this replica's clock since it last saw
 * the Lease change, never by the timestamps in it.
 *
 * <p>All of it runs on {@code timer} (one thread). The future returned by {@link #start} completes when
 * leadership, once held, is lost; cancelling it stops the cycle (the Lease is released by the caller).
 */
final class LeaseElector {
  private static final Logger log = LoggerFactory.getLogger(LeaseElector.class);
  private static final double JITTER = 1.2;

  private final KubernetesClient client;
  private final LeaderElection.Options options;
  private final ScheduledExecutorService timer;
  private final Runnable onStartedLeading;
  private final Consumer<String> onNewLeader;
  private final CompletableFuture<Void> done = new CompletableFuture<>();

  // Confined to the timer thread.
  private Lease observed;
  private long observedAtNanos;
  private String reportedHolder;
  private long failingSinceNanos = -1;

  LeaseElector(KubernetesClient client, LeaderElection.Options options, ScheduledExecutorService timer,
      Runnable onStartedLeading, Consumer<String> onNewLeader) {
    this.client = client;
    this.options = options;
    this.timer = timer;
    this.onStartedLeading = onStartedLeading;
    this.onNewLeader = onNewLeader;
  }

  /** Starts competing; the future completes when leadership is lost after it was held. */
  CompletableFuture<Void> start() {
    timer.execute(this::acquire);
    return done;
  }

  private void acquire() {
    if (done.isDone()) {
      return;
    }
    if (tryAcquireOrRenew()) {
      onStartedLeading.run();
      schedule(this::renew, retryNanos());
    } else {
      schedule(this::acquire, retryNanos() + (long) (ThreadLocalRandom.current().nextDouble() * JITTER * retryNanos()));
    }
  }

  private void renew() {
    if (done.isDone()) {
      return;
    }
    long now = System.nanoTime();
    if (tryAcquireOrRenew()) {
      failingSinceNanos = -1;
    } else {
      if (failingSinceNanos < 0) {
        failingSinceNanos = now;
      }
      if (now - failingSinceNanos >= options.renewDeadline().toNanos()) {
        log.info("leader election {}: failed to renew the lease for {}", options.electionId(), options.renewDeadline());
        done.complete(null);
        return;
      }
    }
    schedule(this::renew, retryNanos());
  }

  private void schedule(Runnable step, long delayNanos) {
    if (!done.isDone()) {
      timer.schedule(step, delayNanos, TimeUnit.NANOSECONDS);
    }
  }

  private long retryNanos() {
    return options.retryPeriod().toNanos();
  }

  /** True when this replica holds the Lease afterwards. */
  private boolean tryAcquireOrRenew() {
    ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
    if (observed != null && isMine(observed) && System.nanoTime() - observedAtNanos < options.ttl().toNanos()) {
      try {
        observe(leases().resource(withHolder(observed, now, false)).update());
        return true;
      } catch (KubernetesClientException e) {
        log.debug("leader election {}: renewing in place failed ({}); reading the lease", options.electionId(),
            e.getCode());
      }
    }
    Lease current;
    try {
      current = leases().withName(options.electionId()).get();
    } catch (KubernetesClientException e) {
      log.warn("leader election {}: cannot read the lease: {}", options.electionId(), e.toString());
      return false;
    }
    if (current == null) {
      Lease created = new LeaseBuilder()
          .withNewMetadata().withName(options.electionId()).withNamespace(options.namespace()).endMetadata()
          .withNewSpec().withHolderIdentity(options.identity()).withLeaseDurationSeconds(ttlSeconds())
          .withAcquireTime(now).withRenewTime(now).withLeaseTransitions(0).endSpec().build();
      try {
        observe(leases().resource(created).create());
        return true;
      } catch (KubernetesClientException e) {
        log.debug("leader election {}: cannot create the lease ({})", options.electionId(), e.getCode());
        return false;
      }
    }
    if (observed == null || !Objects.equals(observed.getSpec(), current.getSpec())) {
      observe(current);
    }
    String holder = holder(current);
    if (!holder.isEmpty() && !isMine(current) && System.nanoTime() - observedAtNanos < leaseDuration(current)) {
      return false; // held by another replica and not expired
    }
    try {
      observe(leases().resource(withHolder(current, now, !isMine(current))).update());
      return true;
    } catch (KubernetesClientException e) {
      log.debug("leader election {}: cannot take the lease ({})", options.electionId(), e.getCode());
      return false;
    }
  }

  private Lease withHolder(Lease lease, ZonedDateTime now, boolean acquiring) {
    LeaseSpec spec = lease.getSpec() == null ? new LeaseSpec() : lease.getSpec();
    int transitions = spec.getLeaseTransitions() == null ? 0 : spec.getLeaseTransitions();
    return new LeaseBuilder(lease).editOrNewSpec()
        .withHolderIdentity(options.identity())
        .withLeaseDurationSeconds(ttlSeconds())
        .withRenewTime(now)
        .withAcquireTime(acquiring || spec.getAcquireTime() == null ? now : spec.getAcquireTime())
        .withLeaseTransitions(acquiring ? transitions + 1 : transitions)
        .endSpec().build();
  }

  private void observe(Lease lease) {
    observed = lease;
    observedAtNanos = System.nanoTime();
    String holder = holder(lease);
    if (!holder.equals(reportedHolder)) {
      reportedHolder = holder;
      onNewLeader.accept(holder);
    }
  }

  private boolean isMine(Lease lease) {
    return options.identity().equals(holder(lease));
  }

  private static String holder(Lease lease) {
    return lease.getSpec() == null || lease.getSpec().getHolderIdentity() == null
        ? "" : lease.getSpec().getHolderIdentity();
  }

  private static long leaseDuration(Lease lease) {
    Integer seconds = lease.getSpec() == null ? null : lease.getSpec().getLeaseDurationSeconds();
    return Duration.ofSeconds(seconds == null ? 0 : seconds).toNanos();
  }

  private int ttlSeconds() {
    return (int) Math.max(1, options.ttl().toSeconds());
  }

  private NonNamespaceOperation<Lease, LeaseList, Resource<Lease>> leases() {
    return client.leases().inNamespace(options.namespace());
  }
}
