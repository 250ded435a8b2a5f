package dev.istiod.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.istiod.ca.pki.KeyCertBundle;
import dev.istiod.ca.pki.KeyType;
import dev.istiod.ca.pki.Pem;
import dev.istiod.ca.testing.InMemoryCaRootStore;
import dev.istiod.ca.testing.MutableClock;
import dev.istiod.ca.testing.TestPki;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RootCertRotatorTest {
  private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration ROOT_TTL = Duration.ofDays(100);
  private static final String SLEEP = "spiffe://cluster.local/ns/default/sa/sleep";

  private final MutableClock clock = new MutableClock(START);
  private final InMemoryCaRootStore store = new InMemoryCaRootStore();
  private final SelfSignedRoot.RootSpec spec = new SelfSignedRoot.RootSpec("cluster.local", ROOT_TTL, KeyType.EC_P256, 2048);

  private IstioCa startCa() throws Exception {
    KeyCertBundle b = SelfSignedRoot.loadOrCreate(store, spec, clock, Duration.ZERO, Duration.ZERO);
    return new IstioCa(b, Duration.ofHours(24), Duration.ofDays(90), clock);
  }

  @Test
  void beforeTheGracePeriod_nothingChanges() throws Exception {
    IstioCa ca = startCa();
    RootCertRotator rotator = new RootCertRotator(ca, store, spec, 20, clock);
    KeyCertBundle before = ca.bundle();

    clock.advance(Duration.ofDays(79));

    assertThat(rotator.checkAndRotate()).isEqualTo(RootCertRotator.Outcome.NOT_DUE);
    assertThat(ca.bundle()).isSameAs(before);
  }

  @Test
  void inTheGracePeriod_rotatesWithTheSameKey_andTrustsBothRoots() throws Exception {
    IstioCa ca = startCa();
    RootCertRotator rotator = new RootCertRotator(ca, store, spec, 20, clock);
    X509Certificate oldRoot = ca.bundle().signingCert();
    String oldKeyPem = store.current().orElseThrow().caKeyPem();
    List<KeyCertBundle> seen = new ArrayList<>();
    ca.onBundleChange(seen::add);
    // A workload certificate issued before the rotation.
    X509Certificate oldLeaf = ca.sign(TestPki.csr(TestPki.ec(), SLEEP), List.of(SLEEP), Duration.ZERO).leaf();

    clock.advance(Duration.ofDays(81));
    assertThat(rotator.checkAndRotate()).isEqualTo(RootCertRotator.Outcome.ROTATED);

    KeyCertBundle now = ca.bundle();
    X509Certificate newRoot = now.signingCert();
    assertThat(newRoot).isNotEqualTo(oldRoot);
    assertThat(newRoot.getPublicKey()).isEqualTo(oldRoot.getPublicKey());
    assertThat(newRoot.getSubjectX500Principal()).isEqualTo(oldRoot.getSubjectX500Principal());
    assertThat(newRoot.getNotAfter().toInstant()).isEqualTo(clock.instant().plus(ROOT_TTL));
    assertThat(now.roots()).as("old first, current last").containsExactly(oldRoot, newRoot);
    assertThat(seen).containsExactly(now);
    // The store has the new root, the unchanged key, and both roots in the trust bundle.
    CaRootStore.Stored stored = store.current().orElseThrow();
    assertThat(Pem.parseCertificate(stored.caCertPem())).isEqualTo(newRoot);
    assertThat(stored.caKeyPem()).isEqualTo(oldKeyPem);
    assertThat(Pem.parseCertificates(stored.rootCertPem())).containsExactly(oldRoot, newRoot);
    // Old and new workload certificates validate against either root alone.
    X509Certificate newLeaf = ca.sign(TestPki.csr(TestPki.ec(), SLEEP), List.of(SLEEP), Duration.ZERO).leaf();
    for (X509Certificate trusted : List.of(oldRoot, newRoot)) {
      assertValid(oldLeaf, trusted, START.plusSeconds(3600));
      assertValid(newLeaf, trusted, clock.instant().plusSeconds(3600));
    }
  }

  @Test
  void afterTheOldRootExpires_itLeavesTheTrustBundle() throws Exception {
    IstioCa ca = startCa();
    RootCertRotator rotator = new RootCertRotator(ca, store, spec, 20, clock);
    clock.advance(Duration.ofDays(81));
    rotator.checkAndRotate();
    X509Certificate newRoot = ca.bundle().signingCert();

    clock.advance(Duration.ofDays(20));

    assertThat(rotator.checkAndRotate()).isEqualTo(RootCertRotator.Outcome.RELOADED);
    assertThat(ca.bundle().roots()).containsExactly(newRoot);
  }

  @Test
  void aRestartedIstiod_keepsTrustingTheOldRoot() throws Exception {
    IstioCa ca = startCa();
    X509Certificate oldRoot = ca.bundle().signingCert();
    clock.advance(Duration.ofDays(81));
    new RootCertRotator(ca, store, spec, 20, clock).checkAndRotate();

    IstioCa restarted = startCa();

    assertThat(restarted.bundle().roots()).containsExactly(oldRoot, ca.bundle().signingCert());
    assertThat(restarted.bundle().signingCert()).isEqualTo(ca.bundle().signingCert());
  }

  @Test
  void anotherReplicaRotated_thisOneReloadsIt() throws Exception {
    IstioCa replicaA = startCa();
    IstioCa replicaB = startCa();
    clock.advance(Duration.ofDays(81));

    assertThat(new RootCertRotator(replicaA, store, spec, 20, clock).checkAndRotate())
        .isEqualTo(RootCertRotator.Outcome.ROTATED);
    assertThat(new RootCertRotator(replicaB, store, spec, 20, clock).checkAndRotate())
        .isEqualTo(RootCertRotator.Outcome.RELOADED);

    assertThat(replicaB.bundle().sameCertificates(replicaA.bundle())).isTrue();
  }

  @Test
  void twoReplicasRotatingTogether_convergeOnOneRoot() throws Exception {
    IstioCa replicaA = startCa();
    IstioCa replicaB = startCa();
    clock.advance(Duration.ofDays(81));
    CaRootStore.Stored seenByBoth = store.load().orElseThrow();
    // B rotates between A's read and A's write: A's conditional update must lose.
    CaRootStore racing = new CaRootStore() {
      private boolean raced;

      @Override
      public java.util.Optional<Stored> load() throws java.io.IOException {
        return raced ? store.load() : java.util.Optional.of(seenByBoth);
      }

      @Override
      public boolean createIfAbsent(Stored root) {
        return false;
      }

      @Override
      public boolean update(Stored expected, Stored next) throws java.io.IOException {
        if (!raced) {
          raced = true;
          new RootCertRotator(replicaB, store, spec, 20, clock).checkAndRotate();
        }
        return store.update(expected, next);
      }

      @Override
      public String describe() {
        return "racing";
      }
    };

    assertThat(new RootCertRotator(replicaA, racing, spec, 20, clock).checkAndRotate())
        .isEqualTo(RootCertRotator.Outcome.RELOADED);

    assertThat(replicaA.bundle().sameCertificates(replicaB.bundle())).isTrue();
    assertThat(Pem.parseCertificate(store.current().orElseThrow().caCertPem()))
        .isEqualTo(replicaB.bundle().signingCert());
  }

  @Test
  void anUnavailableStore_changesNothing() throws Exception {
    IstioCa ca = startCa();
    KeyCertBundle before = ca.bundle();
    clock.advance(Duration.ofDays(81));
    store.failing(true);

    assertThat(new RootCertRotator(ca, store, spec, 20, clock).checkAndRotate())
        .isEqualTo(RootCertRotator.Outcome.FAILED);
    assertThat(ca.bundle()).isSameAs(before);
  }

  private static void assertValid(X509Certificate leaf, X509Certificate root, Instant at) throws Exception {
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
    params.setRevocationEnabled(false);
    params.setDate(Date.from(at));
    CertPathValidator.getInstance("PKIX")
        .validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), params);
  }
}
