package dev.istiod.leaderelection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class LeaderElectionTest {
  private static final String NS = "istio-system";
  private static final String ID = ElectionIds.NAMESPACE_CONTROLLER;
  private static final Duration TTL = Duration.ofSeconds(1);
  // Taking over needs the old lease to expire (ttl) plus a retry period with jitter; allow plenty.
  private static final Duration TAKEOVER_BOUND = TTL.multipliedBy(10);

  KubernetesClient client;

  /** Work that counts its starts and tells whether it runs. */
  private static final class Counted implements LeaderElection.Work {
    final AtomicInteger starts = new AtomicInteger();
    final AtomicInteger running = new AtomicInteger();

    @Override
    public AutoCloseable start() {
      starts.incrementAndGet();
      running.incrementAndGet();
      return running::decrementAndGet;
    }
  }

  private LeaderElection elect(String identity, Counted work) {
    return LeaderElection.start(client, new LeaderElection.Options(NS, identity, ID, TTL, true), List.of(work));
  }

  private String holder() {
    Lease lease = client.leases().inNamespace(NS).withName(ID).get();
    return lease == null ? null : lease.getSpec().getHolderIdentity();
  }

  @Test
  void twoReplicas_exactlyOneRunsTheWork_andTheOtherTakesOverWhenItStops() {
    Counted workA = new Counted();
    Counted workB = new Counted();
    try (LeaderElection a = elect("istiod-a", workA)) {
      await().atMost(TAKEOVER_BOUND).until(a::isLeader);
      assertThat(holder()).isEqualTo("istiod-a");
      try (LeaderElection b = elect("istiod-b", workB)) {
        await().during(TTL.multipliedBy(2)).atMost(TTL.multipliedBy(4)).until(() -> !b.isLeader());
        assertThat(workA.running).hasValue(1);
        assertThat(workB.starts).hasValue(0);

        a.close();
        assertThat(workA.running).as("the leader's work stops with it").hasValue(0);
        await().atMost(TAKEOVER_BOUND).until(b::isLeader);
        assertThat(workB.running).hasValue(1);
        assertThat(holder()).isEqualTo("istiod-b");
      }
      assertThat(workB.running).hasValue(0);
    }
  }

  @Test
  void leadershipLost_stopsTheWork_andItStartsAgainWhenRegained() {
    Counted work = new Counted();
    try (LeaderElection a = elect("istiod-a", work)) {
      await().atMost(TAKEOVER_BOUND).until(a::isLeader);
      // Someone else takes the Lease (as after a partition): renewing fails, so the work must stop.
      Lease lease = client.leases().inNamespace(NS).withName(ID).get();
      ZonedDateTime now = ZonedDateTime.now();
      client.leases().inNamespace(NS).resource(new LeaseBuilder(lease).editSpec()
          .withHolderIdentity("intruder").withLeaseDurationSeconds(2).withAcquireTime(now).withRenewTime(now)
          .endSpec().build()).update();
      await().atMost(TAKEOVER_BOUND).untilAsserted(() -> assertThat(work.running).hasValue(0));
      // The intruder never renews; once its lease expires this replica leads again and restarts the work.
      await().atMost(TAKEOVER_BOUND).untilAsserted(() -> assertThat(work.starts).hasValue(2));
      assertThat(work.running).hasValue(1);
      assertThat(a.cycles()).isGreaterThanOrEqualTo(2);
      assertThat(holder()).isEqualTo("istiod-a");
    }
    assertThat(work.running).hasValue(0);
  }

  @Test
  void close_releasesTheLease() {
    Counted work = new Counted();
    LeaderElection a = elect("istiod-a", work);
    await().atMost(TAKEOVER_BOUND).until(a::isLeader);
    a.close();
    assertThat(holder()).as("holder after a clean shutdown").isNullOrEmpty();
  }

  @Test
  void disabled_runsTheWorkWithoutALease() {
    Counted work = new Counted();
    try (LeaderElection e = LeaderElection.start(null, new LeaderElection.Options(NS, "istiod-a", ID, TTL, false),
        List.of(work))) {
      await().atMost(Duration.ofSeconds(5)).until(e::isLeader);
      assertThat(work.running).hasValue(1);
    }
    assertThat(work.running).hasValue(0);
    assertThat(holder()).isNull();
  }

  @Test
  void badOptions_areRefusedWithTheirName() {
    assertThatThrownBy(() -> new LeaderElection.Options(NS, "", ID, TTL, true)).hasMessageContaining("identity");
    assertThatThrownBy(() -> new LeaderElection.Options(NS, "a", ID, Duration.ofMillis(10), true))
        .hasMessageContaining("too short");
  }
}
