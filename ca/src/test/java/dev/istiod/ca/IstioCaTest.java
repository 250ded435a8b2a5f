package dev.istiod.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.istiod.ca.pki.Certificates;
import dev.istiod.ca.pki.KeyCertBundle;
import dev.istiod.ca.pki.KeyType;
import dev.istiod.ca.pki.SubjectAltNames;
import dev.istiod.ca.testing.MutableClock;
import dev.istiod.ca.testing.TestPki;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class IstioCaTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  private static final String SLEEP = "spiffe://cluster.local/ns/default/sa/sleep";

  private final MutableClock clock = new MutableClock(NOW);
  private final KeyPair caKeys = KeyType.RSA.generate(2048);
  private final X509Certificate root = Certificates.selfSignedRoot(caKeys, "cluster.local", NOW, Duration.ofDays(3650));
  private final IstioCa ca = new IstioCa(
      KeyCertBundle.verified(root, caKeys.getPrivate(), List.of(), List.of(root), NOW),
      Duration.ofHours(24), Duration.ofDays(90), clock);

  @Test
  void sign_usesTheCallersIdentity_notTheCsrs() throws Exception {
    String csr = TestPki.csr(TestPki.ec(), "spiffe://cluster.local/ns/istio-system/sa/istiod");

    SignedChain signed = ca.sign(csr, List.of(SLEEP), Duration.ofHours(1));

    assertThat(SubjectAltNames.all(signed.leaf())).containsExactly(SLEEP);
    assertThat(signed.leaf().getSubjectX500Principal().getName()).isEmpty();
    assertThat(signed.chain()).hasSize(1);
    assertThat(signed.roots()).containsExactly(root);
    signed.leaf().verify(root.getPublicKey());
  }

  @Test
  void sign_rsaAndEcCsrs() throws Exception {
    for (KeyPair keys : List.of(TestPki.rsa(), TestPki.ec())) {
      SignedChain signed = ca.sign(TestPki.csr(keys, SLEEP), List.of(SLEEP), Duration.ZERO);
      assertThat(signed.leaf().getPublicKey()).isEqualTo(keys.getPublic());
    }
  }

  @Test
  void sign_nonPositiveTtl_getsTheDefault() throws Exception {
    SignedChain signed = ca.sign(TestPki.csr(TestPki.ec(), SLEEP), List.of(SLEEP), Duration.ofSeconds(-5));

    assertThat(signed.leaf().getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofHours(24)));
  }

  @Test
  void sign_ttlAboveTheMaximum_isATtlError() {
    assertThatThrownBy(() -> ca.sign(TestPki.csr(TestPki.ec(), SLEEP), List.of(SLEEP), Duration.ofDays(100)))
        .isInstanceOfSatisfying(CaException.class, e -> assertThat(e.error()).isEqualTo(CaError.TTL_ERROR))
        .hasMessage("requested TTL 2400h0m0s is greater than the max allowed TTL 2160h0m0s");
  }

  @Test
  void sign_garbageCsr_isACsrError() {
    assertThatThrownBy(() -> ca.sign("not a csr", List.of(SLEEP), Duration.ZERO))
        .isInstanceOfSatisfying(CaException.class, e -> assertThat(e.error()).isEqualTo(CaError.CSR_ERROR));
  }

  @Test
  void sign_csrWithABrokenSignature_isACsrError() {
    String csr = TestPki.csr(TestPki.ec(), SLEEP);
    String[] lines = csr.split("\n");
    // Flip a character in the last body line, inside the signature.
    int i = lines.length - 2;
    char c = lines[i].charAt(4);
    lines[i] = lines[i].substring(0, 4) + (c == 'A' ? 'B' : 'A') + lines[i].substring(5);

    assertThatThrownBy(() -> ca.sign(String.join("\n", lines) + "\n", List.of(SLEEP), Duration.ZERO))
        .isInstanceOfSatisfying(CaException.class, e -> assertThat(e.error()).isEqualTo(CaError.CSR_ERROR));
  }

  @Test
  void sign_underAPluggedIntermediate_returnsTheChainAndTheOperatorsRoot() throws Exception {
    TestPki.Hierarchy h = TestPki.hierarchy(NOW, Duration.ofDays(30));
    IstioCa plugged = new IstioCa(KeyCertBundle.verified(h.intermediate(), h.intermediateKeys().getPrivate(),
        List.of(h.intermediate(), h.root()), List.of(h.root()), NOW), Duration.ofHours(24), Duration.ofDays(90), clock);

    SignedChain signed = plugged.sign(TestPki.csr(TestPki.ec(), SLEEP), List.of(SLEEP), Duration.ofDays(60));

    assertThat(signed.chain()).containsExactly(signed.leaf(), h.intermediate(), h.root());
    assertThat(signed.responseOrder()).last().isEqualTo(h.root());
    assertThat(signed.leaf().getNotAfter()).as("clamped to the intermediate").isEqualTo(h.intermediate().getNotAfter());
  }

  @Test
  void issueWithNewKey_followsTheCaKeyType_andIgnoresTheWorkloadMaximum() throws Exception {
    IssuedCertificate istiod = ca.issueWithNewKey(List.of("istiod.istio-system.svc"), Duration.ofDays(3650), 2048);

    assertThat(istiod.key().getAlgorithm()).isEqualTo("RSA");
    assertThat(SubjectAltNames.dnsNames(istiod.leaf())).containsExactly("istiod.istio-system.svc");
    assertThat(istiod.leaf().getNotAfter()).isEqualTo(root.getNotAfter());
  }

  @Test
  void replaceBundle_tellsListeners_onlyWhenCertificatesChange() {
    List<KeyCertBundle> seen = new java.util.ArrayList<>();
    ca.onBundleChange(seen::add);
    KeyPair other = KeyType.EC_P256.generate(0);
    X509Certificate otherRoot = Certificates.selfSignedRoot(other, "cluster.local", NOW, Duration.ofDays(1));
    KeyCertBundle next = KeyCertBundle.verified(otherRoot, other.getPrivate(), List.of(), List.of(otherRoot), NOW);

    ca.replaceBundle(ca.bundle());
    ca.replaceBundle(next);

    assertThat(seen).containsExactly(next);
  }
}
